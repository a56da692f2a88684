using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RollbackFunctions.Api.Http;
using RollbackFunctions.Infrastructure.Storage;
using RollbackFunctions.Local;

namespace RollbackFunctions.Integration.Tests.Api;

/// <summary>The anonymous health route.</summary>
public sealed class HealthApiTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    /// <summary>Issue 9, finding 17: the anonymous reply carried exception text (hosts, ports, SDK messages).</summary>
    [SkippableFact]
    public async Task StorageDown_Answers503_WithoutSayingWhy()
    {
        var runtime = fixture.Require();
        var deadStorage = new StorageTables(Options.Create(new StorageOptions { ConnectionString = AzuriteProcess.ConnectionStringFor(1, 1, 1) }));
        var health = new HealthEndpoint(deadStorage, NullLogger<HealthEndpoint>.Instance);

        var reply = Assert.IsType<JsonHttpResult<HealthReply>>(await health.GetAsync(runtime.Services.GetRequiredService<DurableTaskClient>(), default));

        Assert.Equal(503, reply.StatusCode);
        Assert.Equal(new HealthReply("unhealthy", "unavailable", "ok"), reply.Value);
    }
}
