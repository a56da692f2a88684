using RollbackFunctions.Local;

namespace RollbackFunctions.Integration.Tests.Local;

/// <summary>
/// A partition count the Azure Storage provider cannot take, or another than the task hub was
/// created with, stops the start, naming the setting.
/// </summary>
public sealed class DurableEngineOptionsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    public async Task PartitionCount_OutsideOneToSixteen_RefusesToStart_NamingTheSetting(int partitions)
    {
        var options = new DurableEngineOptions { ConnectionString = "UseDevelopmentStorage=true", PartitionCount = partitions };

        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => DurableEngine.StartAsync(options));

        Assert.Contains("Rollback:Durable:PartitionCount", refusal.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task PartitionCount_OtherThanTheTaskHubsOwn_RefusesToStart_AndTheSameCountStarts()
    {
        var connection = await SharedAzurite.ConnectionStringAsync();
        var hub = Repo.UniqueName("hub");
        await (await DurableEngine.StartAsync(new DurableEngineOptions { ConnectionString = connection, TaskHub = hub, PartitionCount = 4 })).DisposeAsync();

        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(
            () => DurableEngine.StartAsync(new DurableEngineOptions { ConnectionString = connection, TaskHub = hub, PartitionCount = 1 }));

        Assert.Contains("Rollback:Durable:PartitionCount is 1, but task hub", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("has 4 control queues", refusal.Message, StringComparison.Ordinal);
        await (await DurableEngine.StartAsync(new DurableEngineOptions { ConnectionString = connection, TaskHub = hub, PartitionCount = 4 })).DisposeAsync();
        await SharedAzurite.DeleteTaskHubAsync(hub);
    }

    [SkippableFact]
    public async Task TaskHubWhoseCreationWasCutShort_StartsAndIsCompleted()
    {
        var connection = await SharedAzurite.ConnectionStringAsync();
        var hub = Repo.UniqueName("hub");
        var partitions = new Azure.Data.Tables.TableClient(connection, $"{hub}Partitions");
        await partitions.CreateIfNotExistsAsync();
        foreach (var queue in new[] { 0, 1, 3 })
        {
            await partitions.AddEntityAsync(new Azure.Data.Tables.TableEntity("", $"{hub}-control-{queue:D2}"));
        }

        await (await DurableEngine.StartAsync(new DurableEngineOptions { ConnectionString = connection, TaskHub = hub, PartitionCount = 4 })).DisposeAsync();

        var queues = new List<string>();
        await foreach (var row in partitions.QueryAsync<Azure.Data.Tables.TableEntity>())
        {
            queues.Add(row.RowKey);
        }

        Assert.Equal(Enumerable.Range(0, 4).Select(q => $"{hub}-control-{q:D2}"), queues.Order());
        await SharedAzurite.DeleteTaskHubAsync(hub);
    }
}
