using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Infrastructure.Executors;

namespace RollbackFunctions.Infrastructure.Tests.Executors;

/// <summary>
/// The webhook executor's answers against a real receiver. The client here has no resilience
/// pipeline, so each case shows what happens once the in-call retries are spent.
/// </summary>
public sealed class WebhookStepExecutorTests : IAsyncLifetime
{
    private LocalReceiver receiver = null!;
    private ServiceProvider http = null!;
    private WebhookStepExecutor executor = null!;

    private StepRevertRequest Revert(string path) =>
        new("rb-d1", "d1", path, "webhook", new JsonObject { ["revertUrl"] = receiver.UrlFor(path) }, "1.4.3", "1.4.2");

    /// <summary>Issue 9, finding 7: a 5xx, a refused connection or a timeout was a failed revert, so the Durable retry never ran.</summary>
    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(429)]
    public async Task Revert_TransientAnswer_ThrowsForTheDurableRetry(int status)
    {
        receiver.Statuses["rollout"] = status;

        var thrown = await Assert.ThrowsAsync<StepUnavailableException>(() => executor.RevertAsync(Revert("rollout"), default));

        Assert.Contains($"answered {status}", thrown.Message);
    }

    [Fact]
    public async Task Revert_NobodyListening_ThrowsForTheDurableRetry()
    {
        var request = Revert("rollout") with { Params = new JsonObject { ["revertUrl"] = "http://127.0.0.1:1/rollout" } };

        await Assert.ThrowsAsync<StepUnavailableException>(() => executor.RevertAsync(request, default));
    }

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    public async Task Revert_TheReceiverRefuses_IsAFailedRevert(int status)
    {
        receiver.Statuses["rollout"] = status;

        var result = await executor.RevertAsync(Revert("rollout"), default);

        Assert.Equal(RevertOutcome.Failed, result.Outcome);
        Assert.Contains($"answered {status}", result.Detail);
    }

    /// <summary>Three states for a target only the receiver can read: 409 is its drift, and the approved rerun says so.</summary>
    [Fact]
    public async Task Revert_409_IsDrift_AndTheApprovedRerunCarriesItsOwnKey()
    {
        receiver.Statuses["rollout"] = 409;

        var drift = await executor.RevertAsync(Revert("rollout"), default);
        receiver.Statuses.TryRemove("rollout", out _);
        var approved = await executor.RevertAsync(Revert("rollout") with { OverrideDrift = true }, default);

        Assert.Equal((RevertOutcome.Drift, RevertOutcome.Reverted), (drift.Outcome, approved.Outcome));
        Assert.Equal(["rb-d1:rollout", "rb-d1:rollout:drift-approved"], receiver.Received.Select(r => r.IdempotencyKey));
    }

    [Fact]
    public async Task Revert_2xxSayingUnchanged_IsUnchanged_AnyOther2xxReverted()
    {
        await using var stub = await StubServer.StartAsync(request => request.PathAndQuery.EndsWith("/same", StringComparison.Ordinal)
            ? new StubReply(200, """{"outcome":"unchanged"}""")
            : new StubReply(200, """{"outcome":42}"""));

        var same = await executor.RevertAsync(Revert("same") with { Params = new JsonObject { ["revertUrl"] = $"{stub.BaseUrl}/same" } }, default);
        var other = await executor.RevertAsync(Revert("other") with { Params = new JsonObject { ["revertUrl"] = $"{stub.BaseUrl}/other" } }, default);

        Assert.Equal((RevertOutcome.Unchanged, RevertOutcome.Reverted), (same.Outcome, other.Outcome));
    }

    [Fact]
    public async Task Revert_2xx_IsReverted_WithTheSameIdempotencyKeyEveryTime()
    {
        await executor.RevertAsync(Revert("rollout"), default);
        var result = await executor.RevertAsync(Revert("rollout"), default);

        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Single(receiver.Received.Select(r => r.IdempotencyKey).Distinct());
    }

    /// <summary>Issue 9, finding 17: the approved re-send reused the key of the refused call, so a receiver deduplicating on it answered 428 again.</summary>
    [Fact]
    public async Task Revert_AfterApproval_SendsANewIdempotencyKey()
    {
        receiver.Statuses["schema"] = 428;

        var asked = await executor.RevertAsync(Revert("schema"), default);
        var approved = await executor.RevertAsync(Revert("schema") with { Approved = true }, default);

        Assert.Equal((RevertOutcome.NeedsApproval, RevertOutcome.Reverted), (asked.Outcome, approved.Outcome));
        var keys = receiver.Received.Select(r => r.IdempotencyKey).ToList();
        Assert.Equal(["rb-d1:schema", "rb-d1:schema:approved"], keys);
    }

    /// <summary>Found by review: a rehearsal must never reach the revert URL; a receiver built to the revert contract (any POST with the body reverts) ignores "rehearsal": true.</summary>
    [Fact]
    public async Task Rehearse_RehearseUrlSameAsRevertUrl_IsRefused_AndNeverPosted()
    {
        var parameters = new JsonObject { ["revertUrl"] = receiver.UrlFor("rollout"), ["rehearseUrl"] = receiver.UrlFor("rollout") };

        var problem = executor.ValidateParams(parameters);
        var rehearsal = await executor.RehearseAsync(Revert("rollout") with { Params = parameters }, default);

        Assert.NotNull(problem);
        Assert.Equal(Core.Deploys.RehearsalOutcome.Fails, rehearsal.Outcome);
        Assert.DoesNotContain(receiver.Paths, p => p.Contains("rollout", StringComparison.Ordinal));
    }

    public async Task InitializeAsync()
    {
        receiver = await LocalReceiver.StartAsync();
        var services = new ServiceCollection();
        services.AddHttpClient(WebhookStepExecutor.HttpClientName);
        http = services.BuildServiceProvider();
        var options = new WebhookExecutorOptions { AllowedHosts = ["127.0.0.1"] };
        executor = new WebhookStepExecutor(http.GetRequiredService<IHttpClientFactory>(), new StaticOptions(options));
    }

    public async Task DisposeAsync()
    {
        await http.DisposeAsync();
        await receiver.DisposeAsync();
    }

    private sealed class StaticOptions(WebhookExecutorOptions value) : IOptionsMonitor<WebhookExecutorOptions>
    {
        public WebhookExecutorOptions CurrentValue => value;

        public WebhookExecutorOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<WebhookExecutorOptions, string?> listener) => null;
    }
}
