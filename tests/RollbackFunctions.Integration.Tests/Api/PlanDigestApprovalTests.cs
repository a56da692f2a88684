using System.Net;
using System.Text;
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
/// Issue 18, point 1 (SAFETY.md 3): a step that shows a plan is approved only by naming its digest.
/// An approval naming another plan, or none, is 409 and raises nothing; decided before the engine
/// is touched, so no engine is needed here (the orchestration side is PlanBoundApprovalTests).
/// </summary>
public sealed class PlanDigestApprovalTests
{
    private const string Shown = "9c1e3b5d7f9a1c3e5b7d9f1a3f7a9c0e5b1d2f4a6c8e0b2d4f6a8c0e1b3d5f7a";

    [Theory]
    [InlineData("""{"planDigest":"0000000000000000000000000000000000000000000000000000000000000000"}""", "is not the plan step infra waits for")]
    [InlineData("""{"reason":"looks fine"}""", "send it as planDigest")]
    public async Task Approve_WithoutTheDigestOfThePlanShown_Is409AndRaisesNothing(string body, string says)
    {
        var endpoints = await EndpointsAsync();

        // No engine: a reply that got as far as raising the event would throw here.
        var reply = await endpoints.DecideAsync(Request(body), "rb-d", "infra", approve: true, durable: null!, default);

        var problem = Assert.IsType<ProblemHttpResult>(reply);
        Assert.Equal(StatusCodes.Status409Conflict, problem.StatusCode);
        Assert.Contains(says, problem.ProblemDetails.Detail);
        Assert.Contains(Shown, problem.ProblemDetails.Detail);
    }

    [Fact]
    public void StepView_WaitingForAPlan_ShowsItsDigest()
    {
        var view = RollbackStepView.Of(Waiting());

        Assert.Equal(Shown, view.PlanDigest);
    }

    private static RollbackStepRecord Waiting() =>
        new("infra", "terraform", 0, StepStatus.AwaitingApproval, 1, null, null, $"the plan would delete aws_sqs_queue.orders; plan sha256:{Shown}")
        {
            ApprovalDue = DateTimeOffset.UtcNow.AddMinutes(10),
            PlanDigest = Shown,
        };

    private static async Task<OperatorEndpoints> EndpointsAsync()
    {
        var rollbacks = new InMemoryRollbackStore();
        await rollbacks.TryClaimAsync(
            new RollbackRecord
            {
                RollbackId = "rb-d",
                DeployId = "d",
                Phase = RollbackPhase.AwaitingApproval,
                Trigger = new RollbackTrigger("manual", "alice", "test", []),
                ClaimedAt = DateTimeOffset.UtcNow.AddMinutes(-5),
            },
            default);
        await rollbacks.PutStepAsync("rb-d", Waiting(), default);
        var deploys = new InMemoryDeployStore();
        return new OperatorEndpoints(rollbacks, deploys, gitOps: null!, new InMemoryAuditLog(), new ApiAccess(Options.Create(new AccessOptions())), new ScopeGuard(deploys, rollbacks), new ApprovalDecisions(rollbacks, TimeProvider.System));
    }

    private static HttpRequest Request(string body)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        context.Request.ContentLength = context.Request.Body.Length;
        return context.Request;
    }
}
