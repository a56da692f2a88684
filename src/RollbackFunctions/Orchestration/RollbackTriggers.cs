using RollbackFunctions.Api.Rollbacks;
using RollbackFunctions.Core.Watching;
using Microsoft.DurableTask.Client;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Orchestration;

/// <summary>
/// Durable triggers: explicit shims (no source generator is served here) that delegate to the Core
/// classes the local runtime registers with <see cref="RollbackTasks.AddRollbackTasks"/>.
/// Function names equal the Core class names, which are the task names the orchestrator calls.
/// </summary>
public sealed class RollbackTriggers(
    HaltDeployActivity halt,
    HoldGitOpsActivity holdGitOps,
    RecordProgressActivity progress,
    RevertStepActivity revert,
    CompleteRollbackActivity complete,
    SendPageActivity page,
    EvaluateHealthActivity health,
    SampleDeployActivity sampleDeploy,
    ActOnBreachActivity actOnBreach,
    SendNoticeActivity notice,
    RollbackStarter starter)
{
    [Function(nameof(RollbackOrchestrator))]
    public static Task<RollbackResult> Rollback([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new RollbackOrchestrator().RunAsync(context, context.GetInput<RollbackRequest>()!);

    [Function(nameof(DeployWatchOrchestrator))]
    public static Task<WatchResult> Watch([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new DeployWatchOrchestrator().RunAsync(context, context.GetInput<WatchRequest>()!);

    [Function(nameof(SampleDeployActivity))]
    public Task<WatchRound> SampleDeploy([ActivityTrigger] WatchSampleRequest input, CancellationToken cancellationToken) =>
        sampleDeploy.ExecuteAsync(input, cancellationToken);

    /// <summary>The Durable client is bound here: the Functions host does not put one in DI.</summary>
    [Function(nameof(ActOnBreachActivity))]
    public Task<BreachOutcome> ActOnBreach([ActivityTrigger] BreachRequest input, [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken) =>
        actOnBreach.ExecuteAsync(input, new RollbackLauncher(starter, () => durable), cancellationToken);

    [Function(nameof(SendNoticeActivity))]
    public Task<bool> SendNotice([ActivityTrigger] NoticeRequest input, CancellationToken cancellationToken) =>
        notice.ExecuteAsync(input, cancellationToken);

    [Function(nameof(NoticeOrchestrator))]
    public static Task<bool> Notice([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new NoticeOrchestrator().RunAsync(context, context.GetInput<NoticeOrchestration>()!);

    [Function(nameof(HaltDeployActivity))]
    public Task<DeployRecord> Halt([ActivityTrigger] HaltRequest input, CancellationToken cancellationToken) =>
        halt.ExecuteAsync(input, cancellationToken);

    [Function(nameof(HoldGitOpsActivity))]
    public Task<IReadOnlyList<GitOpsOutcome>> HoldGitOps([ActivityTrigger] GitOpsHoldRequest input, CancellationToken cancellationToken) =>
        holdGitOps.ExecuteAsync(input, cancellationToken);

    [Function(nameof(RecordProgressActivity))]
    public Task<bool> RecordProgress([ActivityTrigger] ProgressUpdate input, CancellationToken cancellationToken) =>
        progress.ExecuteAsync(input, cancellationToken);

    [Function(nameof(RevertStepActivity))]
    public Task<StepRevertResult> Revert([ActivityTrigger] StepRevertRequest input, CancellationToken cancellationToken) =>
        revert.ExecuteAsync(input, cancellationToken);

    [Function(nameof(SendPageActivity))]
    public Task<IReadOnlyList<ChannelOutcome>> Page([ActivityTrigger] PageRequest input, CancellationToken cancellationToken) =>
        page.ExecuteAsync(input, cancellationToken);

    [Function(nameof(EvaluateHealthActivity))]
    public Task<VerificationSample> EvaluateHealth([ActivityTrigger] HealthRequest input, CancellationToken cancellationToken) =>
        health.ExecuteAsync(input, cancellationToken);

    [Function(nameof(CompleteRollbackActivity))]
    public Task<bool> Complete([ActivityTrigger] CompletionRequest input, CancellationToken cancellationToken) =>
        complete.ExecuteAsync(input, cancellationToken);
}
