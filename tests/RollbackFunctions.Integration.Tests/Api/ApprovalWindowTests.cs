using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using RollbackFunctions.Api.Access;
using RollbackFunctions.Api.Http;
using RollbackFunctions.Api.Rollbacks;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Integration.Tests.Api;

/// <summary>
/// Issue 9, finding 17: an approval posted after the step's approval window closed was answered 202
/// and ignored (the orchestration had already moved on). The window's end is on the step's row; the
/// endpoint refuses past it. Decided before the engine is touched, so no engine is needed here.
/// </summary>
public sealed class ApprovalWindowTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    public async Task Approve_AfterTheWindowClosed_Is409AndRaisesNothing(int dueInSeconds)
    {
        var rollbacks = new InMemoryRollbackStore();
        await rollbacks.TryClaimAsync(
            new RollbackRecord
            {
                RollbackId = "rb-d",
                DeployId = "d",
                Phase = RollbackPhase.AwaitingApproval,
                Trigger = new RollbackTrigger("manual", "alice", "test", []),
                ClaimedAt = Now.AddMinutes(-20),
            },
            default);
        await rollbacks.PutStepAsync("rb-d", new RollbackStepRecord("a", "webhook", 0, StepStatus.AwaitingApproval, 0, null, null, "revert mode is approval") { ApprovalDue = Now.AddSeconds(dueInSeconds) }, default);
        var deploys = new InMemoryDeployStore();
        var endpoints = new OperatorEndpoints(rollbacks, deploys, gitOps: null!, new InMemoryAuditLog(), new ApiAccess(Options.Create(new AccessOptions())), new ScopeGuard(deploys, rollbacks), new ApprovalDecisions(rollbacks, new FixedClock(Now)));
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Loopback;

        // No engine: a reply that got as far as raising the event would throw here.
        var reply = await endpoints.DecideAsync(context.Request, "rb-d", "a", approve: true, durable: null!, default);

        Assert.Equal(StatusCodes.Status409Conflict, Assert.IsType<ProblemHttpResult>(reply).StatusCode);
        Assert.Contains("approval window of step a closed", Assert.IsType<ProblemHttpResult>(reply).ProblemDetails.Detail);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
