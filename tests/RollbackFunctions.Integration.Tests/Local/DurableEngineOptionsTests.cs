using RollbackFunctions.Local;

namespace RollbackFunctions.Integration.Tests.Local;

/// <summary>A partition count the Azure Storage provider cannot take stops the start, naming the setting; nothing is created.</summary>
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
}
