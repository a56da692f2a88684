using System.Text.Json;
using RollbackFunctions.Core.Rollbacks;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Orchestration;

/// <summary>
/// SAFETY.md 10 on the in-process engine: a tool or receiver that echoes a configured secret into a
/// step's detail does not carry it into the rollback's record (replies, ops page, report), the audit
/// trail or the pages.
/// </summary>
public sealed class SecretMaskingTests : IAsyncLifetime
{
    private readonly RollbackHarness harness = new();

    [Fact]
    public async Task Run_ExecutorEchoesAConfiguredSecret_NoRecordAuditRowOrPageHoldsIt()
    {
        harness.Executor.Echo = $" (token {RollbackHarness.ConfiguredSecret})";
        harness.Executor.Failing.Add("config");

        var result = await harness.RunAsync(Diamond());

        var steps = await harness.Rollbacks.GetStepsAsync(result.RollbackId, default);
        Assert.Contains(steps, s => s.Detail.Contains("(token ***)", StringComparison.Ordinal));
        Assert.All(steps, s => Assert.DoesNotContain(RollbackHarness.ConfiguredSecret, s.Detail, StringComparison.Ordinal));
        Assert.All(harness.Audit.Entries, e => Assert.DoesNotContain(RollbackHarness.ConfiguredSecret, e.Detail, StringComparison.Ordinal));
        Assert.All(harness.Pager.Pages, p => Assert.DoesNotContain(RollbackHarness.ConfiguredSecret, JsonSerializer.Serialize(p), StringComparison.Ordinal));
        Assert.NotEmpty(harness.Pager.Pages);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await harness.DisposeAsync();
}
