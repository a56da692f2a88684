using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using RollbackFunctions.Api.Access;
using RollbackFunctions.Api.Rollbacks;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Api.Http;

/// <summary>
/// The API's route table for hosts that map routes themselves (the local runtime). The Functions
/// app declares the same routes with triggers; a test keeps the two identical. Both runtimes leave
/// authorization to the handlers (<see cref="Access.ApiAccess"/>): the Functions triggers are
/// anonymous to the host, whose own keys could not carry roles.
/// </summary>
public static class ApiRoutes
{
    /// <summary>Route prefix, the Functions default.</summary>
    public const string Prefix = "api";

    public static IEndpointRouteBuilder MapRollbackApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(Prefix).AddEndpointFilter(ReplyUnavailableAsync);
        var keyed = api.MapGroup("").WithKeyProblems();
        keyed.MapPost("deploys", (HttpRequest r, [FromServices] DeployEndpoints e, [FromServices] DurableTaskClient d, CancellationToken ct) => e.RegisterAsync(r, d, ct))
            .Takes<DeployRegistration>().Replies<DeployView>(201, 200).Problems(400, 409, 422)
            .Operation("registerDeploy", "Register a deploy with its steps and checks, before its first step").Needs(ApiRole.Ci);
        keyed.MapGet("deploys", (HttpRequest r, [FromServices] DeployEndpoints e, CancellationToken ct) => e.ListAsync(r, ct))
            .Replies<List<DeployListItem>>(200).Problems(400)
            .Operation("listDeploys", "List the deploys of the last 7 days, newest first").Needs(ApiRole.Reader);
        keyed.MapGet("deploys/{deployId}", (HttpRequest r, string deployId, [FromServices] DeployEndpoints e, CancellationToken ct) => e.GetAsync(r, deployId, ct))
            .Replies<DeployView>(200).Problems(404)
            .Operation("getDeploy", "Read a deploy: its state, steps, watch and rollback").Needs(ApiRole.Reader);
        keyed.MapPost("deploys/{deployId}/steps/{stepId}", (HttpRequest r, string deployId, string stepId, [FromServices] DeployEndpoints e, CancellationToken ct) => e.ReportStepAsync(r, deployId, stepId, ct))
            .Takes<StepReport>().Replies<DeployView>(200).Problems(400, 404, 409)
            .Operation("reportStep", "Report a step applied, failed or running").Needs(ApiRole.Ci);
        keyed.MapPost("deploys/{deployId}/complete", (HttpRequest r, string deployId, [FromServices] DeployEndpoints e, CancellationToken ct) => e.CompleteAsync(r, deployId, ct))
            .Replies<DeployView>(200).Problems(404, 409)
            .Operation("completeDeploy", "Complete a deploy: pending steps become applied and the bake window starts").Needs(ApiRole.Ci);
        keyed.MapGet("deploys/{deployId}/gate", (HttpRequest r, string deployId, [FromServices] DeployEndpoints e, CancellationToken ct) => e.GateAsync(r, deployId, ct))
            .Replies<GateReply>(200).Produces<GateClosedProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json").Problems(404)
            .Operation("getGate", "Ask whether the deploy may go on to its next step").Needs(ApiRole.Ci);
        keyed.MapGet("deploys/{deployId}/plan", (HttpRequest r, string deployId, [FromServices] PlanEndpoints e, CancellationToken ct) => e.GetAsync(r, deployId, ct))
            .Replies<Core.Planning.RollbackPlan>(200).Problems(404)
            .Operation("getRollbackPlan", "Read how the deploy would be rolled back, and its readiness").Needs(ApiRole.Reader);
        keyed.MapPost("deploys/{deployId}/rehearse", (HttpRequest r, string deployId, [FromServices] PlanEndpoints e, CancellationToken ct) => e.RehearseAsync(r, deployId, ct))
            .Replies<Core.Planning.RollbackPlan>(200).Problems(404, 409)
            .Operation("rehearseRollback", "Rehearse the rollback: every step's dry run, nothing changed").Needs(ApiRole.Ci, ApiRole.Operator);
        keyed.MapPost("deploys/{deployId}/waive", (HttpRequest r, string deployId, [FromServices] PlanEndpoints e, CancellationToken ct) => e.WaiveAsync(r, deployId, ct))
            .Takes<OperatorAction>().Replies<Core.Planning.RollbackPlan>(200).Problems(400, 404)
            .Operation("waiveReadiness", "Waive the readiness gate for one deploy, with a reason").Needs(ApiRole.Operator);
        keyed.MapPost("deploys/{deployId}/rollback", (HttpRequest r, string deployId, [FromServices] RollbackEndpoints e, [FromServices] DurableTaskClient d, CancellationToken ct) => e.StartAsync(r, deployId, d, ct))
            .Takes<ManualRollbackRequest>(optional: true).Replies<RollbackStart>(202, 200).Problems(400, 404, 409)
            .Operation("startRollback", "Start a rollback of the deploy as an operator").Needs(ApiRole.Operator);
        keyed.MapPost("alerts/alertmanager", (HttpRequest r, [FromServices] AlertEndpoints e, [FromServices] DurableTaskClient d, CancellationToken ct) => e.AlertmanagerAsync(r, d, ct))
            .Takes<JsonObject>().Replies<AlertIntakeReply>(202).Problems(400, 422)
            .Operation("receiveAlertmanagerAlerts", "Take an Alertmanager webhook (payload version 4)").Needs(ApiRole.Alerts);
        keyed.MapPost("alerts/datadog", (HttpRequest r, [FromServices] AlertEndpoints e, [FromServices] DurableTaskClient d, CancellationToken ct) => e.DatadogAsync(r, d, ct))
            .Takes<JsonObject>().Replies<AlertIntakeReply>(202).Problems(400, 422)
            .Operation("receiveDatadogAlert", "Take a Datadog monitor webhook").Needs(ApiRole.Alerts);
        keyed.MapGet("rollbacks", (HttpRequest r, [FromServices] RollbackEndpoints e, CancellationToken ct) => e.ListAsync(r, ct))
            .Replies<List<RollbackListItem>>(200).Problems(400)
            .Operation("listRollbacks", "List rollbacks, newest first").Needs(ApiRole.Reader);
        keyed.MapGet("rollbacks/{rollbackId}", (HttpRequest r, string rollbackId, [FromServices] RollbackEndpoints e, CancellationToken ct) => e.GetAsync(r, rollbackId, ct))
            .Replies<RollbackView>(200).Problems(404)
            .Operation("getRollback", "Read a rollback: phase, timeline, evidence, steps, verification").Needs(ApiRole.Reader);
        keyed.MapGet("rollbacks/{rollbackId}/report", (HttpRequest r, string rollbackId, [FromServices] RollbackEndpoints e, CancellationToken ct) => e.ReportAsync(r, rollbackId, ct))
            .Produces<string>(200, "text/markdown").Problems(404)
            .Operation("getRollbackReport", "Read the rollback's incident report (Markdown)").Needs(ApiRole.Reader);
        keyed.MapGet("rollbacks/{rollbackId}/audit", (HttpRequest r, string rollbackId, [FromServices] RollbackEndpoints e, CancellationToken ct) => e.AuditAsync(r, rollbackId, ct))
            .Replies<AuditReply>(200).Problems(404)
            .Operation("getRollbackAudit", "Read the rollback's audit trail and whether its chain verifies").Needs(ApiRole.Reader);
        keyed.MapPost("rollbacks/{rollbackId}/steps/{stepId}/approve", (HttpRequest r, string rollbackId, string stepId, [FromServices] OperatorEndpoints e, [FromServices] DurableTaskClient d, CancellationToken ct) => e.DecideAsync(r, rollbackId, stepId, approve: true, d, ct))
            .Takes<OperatorAction>(optional: true).Replies<DecisionReply>(202).Problems(400, 404, 409)
            .Operation("approveStep", "Approve a step waiting for approval").Needs(ApiRole.Operator);
        keyed.MapPost("rollbacks/{rollbackId}/steps/{stepId}/reject", (HttpRequest r, string rollbackId, string stepId, [FromServices] OperatorEndpoints e, [FromServices] DurableTaskClient d, CancellationToken ct) => e.DecideAsync(r, rollbackId, stepId, approve: false, d, ct))
            .Takes<OperatorAction>(optional: true).Replies<DecisionReply>(202).Problems(400, 404, 409)
            .Operation("rejectStep", "Reject a step waiting for approval").Needs(ApiRole.Operator);
        keyed.MapPost("rollbacks/{rollbackId}/gitops/resume", (HttpRequest r, string rollbackId, [FromServices] OperatorEndpoints e, CancellationToken ct) => e.ResumeGitOpsAsync(r, rollbackId, ct))
            .Takes<OperatorAction>(optional: true).Replies<GitOpsResumeReply>(200).Problems(400, 404, 409)
            .Operation("resumeGitOps", "Release the GitOps controllers this rollback held").Needs(ApiRole.Operator);
        keyed.MapPost("rollbacks/{rollbackId}/abort", (HttpRequest r, string rollbackId, [FromServices] OperatorEndpoints e, [FromServices] DurableTaskClient d, CancellationToken ct) => e.AbortAsync(r, rollbackId, d, ct))
            .Takes<OperatorAction>(optional: true).Replies<AbortReply>(202).Problems(400, 404, 409)
            .Operation("abortRollback", "Abort a rollback: no further revert starts").Needs(ApiRole.Operator);
        keyed.MapGet("quarantine", (HttpRequest r, [FromServices] QuarantineEndpoints e, CancellationToken ct) => e.ListAsync(r, ct))
            .Replies<List<QuarantineView>>(200).Problems(400)
            .Operation("listQuarantine", "List quarantined versions and artifacts").Needs(ApiRole.Reader);
        keyed.MapPost("quarantine/release", (HttpRequest r, [FromServices] QuarantineEndpoints e, CancellationToken ct) => e.ReleaseAsync(r, ct))
            .Takes<QuarantineReleaseRequest>().Replies<QuarantineView>(200).Problems(400, 404)
            .Operation("releaseQuarantine", "Release a quarantined version or artifact").Needs(ApiRole.Operator);
        keyed.MapGet("access", (HttpRequest r, [FromServices] AccessEndpoint e) => e.Get(r))
            .Replies<AccessReply>(200)
            .Operation("getAccess", "Read what the calling key may do: its roles, services and environments")
            .Needs(ApiRole.Ci, ApiRole.Alerts, ApiRole.Operator, ApiRole.Reader);
        keyed.MapGet("insights", (HttpRequest r, [FromServices] InsightsEndpoint e, CancellationToken ct) => e.GetAsync(r, ct))
            .Replies<Core.Insights.InsightsReply>(200).Problems(400)
            .Operation("getInsights", "Read the impact figures of the last days, per service and environment").Needs(ApiRole.Reader)
            .Query(
                ("environment", Microsoft.OpenApi.JsonSchemaType.String, "only this environment"),
                ("service", Microsoft.OpenApi.JsonSchemaType.String, "only this service"),
                ("days", Microsoft.OpenApi.JsonSchemaType.Integer, $"the period: the last 1 to {InsightsEndpoint.MaxDays} days (default {InsightsEndpoint.DefaultDays})"));
        keyed.MapGet("policy", (HttpRequest r, [FromServices] PolicyEndpoint e) => e.Get(r))
            .Replies<PolicyReply>(200)
            .Operation("getPolicy", "Read the guardrails and correlation labels in force, and the calling key").Needs(ApiRole.Reader);
        // Authenticated by Slack's signature, not by a key; 404 while Rollback:Slack:SigningSecret is not set.
        api.MapPost("slack/interactions", (HttpRequest r, [FromServices] SlackInteractionEndpoint e, [FromServices] DurableTaskClient d, CancellationToken ct) => e.HandleAsync(r, d, ct))
            .Accepts<SlackInteractionForm>("application/x-www-form-urlencoded").Produces(200).Problems(400, 401, 404, 413)
            .Operation("receiveSlackInteraction", "Take a Slack button click (Approve or Reject), signed by Slack").WithoutKey();
        // The ops page holds no data (its script reads the routes above with the operator's key).
        api.MapGet("ui", (HttpRequest r) => OpsPage.Serve(r)).Produces<string>(200, "text/html")
            .Operation("getOpsPage", "The ops page").WithoutKey();
        // The one route that asks for no key, so load balancers and uptime checks can probe it.
        api.MapGet("health", ([FromServices] HealthEndpoint e, [FromServices] DurableTaskClient d, CancellationToken ct) => e.GetAsync(d, ct))
            .Replies<HealthReply>(200, 503)
            .Operation("getHealth", "Check that storage and the durable engine answer").WithoutKey();
        return app;
    }

    /// <summary>What any keyed route may answer: no or a bad key, a key without the role, storage or engine down.</summary>
    private static RouteGroupBuilder WithKeyProblems(this RouteGroupBuilder group) =>
        group.ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    private static async ValueTask<object?> ReplyUnavailableAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception e) when (Unavailable.TryReply(e, Logger(context.HttpContext), context.HttpContext.Request.Path) is { } reply)
        {
            return reply;
        }
    }

    private static Microsoft.Extensions.Logging.ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().CreateLogger(typeof(ApiRoutes).FullName!);
}
