using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using RollbackFunctions.Core.Alerts;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Core.Tests.TestDoubles;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Tests.Orchestration;

/// <summary>
/// Runs <see cref="RollbackOrchestrator"/> on the real in-process Durable engine (replay,
/// serialization, timers, external events and retries included) with in-memory stores and
/// recording doubles. Every interval is shrunk through the orchestration input.
/// </summary>
internal sealed class RollbackHarness : IAsyncDisposable
{
    /// <summary>Seconds become tens of milliseconds; the deadline and approval timeout stay long unless a test shrinks them.</summary>
    public static readonly RollbackSettings FastSettings = new(
        StepMaxAttempts: 3,
        StepFirstRetryInterval: TimeSpan.FromMilliseconds(50),
        StepBackoffCoefficient: 1,
        StepDeadline: TimeSpan.FromSeconds(30),
        ApprovalTimeout: TimeSpan.FromSeconds(30),
        PageWaitLimit: TimeSpan.FromSeconds(5),
        Verification: new VerificationSettings(TimeSpan.FromMilliseconds(100), 3, TimeSpan.FromSeconds(20), NoDataPolicy.Inconclusive),
        ShortestTimer: TimeSpan.Zero); // the in-memory engine keeps timers exactly

    /// <summary>A secret the deployment is configured with (a token, a connection string), masked by the harness's redactor.</summary>
    public const string ConfiguredSecret = "configured-secret-0f3a9c71";

    private DurableTaskTestHost? host;

    public RollbackHarness()
    {
        Executor = new ScriptedExecutor(Journal);
        Pager = new RecordingPager(Journal);
        GitOps = new ScriptedGitOps(Journal);
    }

    public Journal Journal { get; } = new();

    /// <summary>The order of actions rollbacks start with; null as in instances started before the field existed.</summary>
    public int? ActionOrder { get; set; } = RollbackRequest.CurrentActionOrder;
    public ScriptedExecutor Executor { get; }

    /// <summary>Stand-in targets behind the <c>target</c> kind, with the three-state contract.</summary>
    public StandInTargets Targets { get; } = new();
    public RecordingPager Pager { get; }
    public ScriptedMetricSource Metrics { get; } = new();
    public InMemoryDeployStore Deploys { get; } = new();
    public InMemoryRollbackStore Rollbacks { get; } = new();
    public InMemoryQuarantineStore Quarantine { get; } = new();

    /// <summary>Passed to every rollback started: how long a reverted deploy is quarantined (null: not at all).</summary>
    public TimeSpan? QuarantineFor { get; set; }

    /// <summary>Artifacts of every deploy started.</summary>
    public IReadOnlyList<Artifact> Artifacts { get; set; } = [];
    public InMemoryAuditLog Audit { get; } = new();
    public InMemoryAlertLog Alerts { get; } = new();
    public RecordingLauncher Launcher { get; } = new();
    public ScriptedGitOps GitOps { get; }

    public DurableTaskClient Client => host?.Client ?? throw new InvalidOperationException("start a rollback first");

    /// <summary>Runs a rollback to completion and returns its result.</summary>
    public async Task<RollbackResult> RunAsync(IReadOnlyList<DeployStep> steps, RollbackSettings? settings = null, RollbackConditions? conditions = null, params AlertSignal[] alerts) =>
        await WaitAsync(await StartAsync(steps, settings, conditions, alerts));

    /// <summary>Starts a rollback and returns its id without waiting.</summary>
    public async Task<string> StartAsync(IReadOnlyList<DeployStep> steps, RollbackSettings? settings = null, RollbackConditions? conditions = null, params AlertSignal[] alerts) =>
        await StartAsync(steps, storeDeploy: true, settings, conditions, alerts);

    /// <summary>Starts a rollback; without <paramref name="storeDeploy"/> its deploy is missing, so halting fails on every attempt.</summary>
    public Task<string> StartAsync(IReadOnlyList<DeployStep> steps, bool storeDeploy, RollbackSettings? settings = null, RollbackConditions? conditions = null, params AlertSignal[] alerts) =>
        StartAsync(DeployBuilder.Record(id: $"d-{Guid.NewGuid():N}", steps: steps) with { Conditions = conditions }, storeDeploy, settings, alerts);

    /// <summary>Starts the rollback of a deploy built by the test (registered and reported as CI would).</summary>
    public async Task<string> StartAsync(DeployRecord deploy, bool storeDeploy = true, RollbackSettings? settings = null, params AlertSignal[] alerts)
    {
        deploy = deploy with { Artifacts = deploy.Artifacts.Count > 0 ? deploy.Artifacts : Artifacts };
        if (storeDeploy)
        {
            await Deploys.AddAsync(deploy, CancellationToken.None);
        }

        var rollbackId = Identifiers.RollbackIdFor(deploy.DeployId);
        await Rollbacks.TryClaimAsync(
            new RollbackRecord
            {
                RollbackId = rollbackId,
                DeployId = deploy.DeployId,
                Phase = RollbackPhase.Halting,
                Trigger = new RollbackTrigger(alerts.Length > 0 ? "alert" : "manual", "test", "test", alerts),
                ClaimedAt = DateTimeOffset.UtcNow,
            },
            CancellationToken.None);

        await (await HostAsync()).Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(RollbackOrchestrator),
            new RollbackRequest(rollbackId, deploy.DeployId, alerts.Length, settings ?? FastSettings, QuarantineFor: QuarantineFor) { ActionOrder = ActionOrder },
            new StartOrchestrationOptions(rollbackId));
        return rollbackId;
    }

    /// <summary>Starts a rollback of a deploy the test built (GitOps objects, step params), without waiting.</summary>
    public Task<string> StartAsync(DeployRecord deploy, RollbackSettings? settings = null) => StartAsync(deploy, storeDeploy: true, settings);

    /// <summary>
    /// The in-process engine with every task and double, started on first use. Its gRPC port is one
    /// the kernel just handed out (the host's own pick is a random number that collided with other
    /// processes' ports under load), and a bind that still loses the race is tried again.
    /// </summary>
    public async Task<DurableTaskTestHost> HostAsync()
    {
        for (var attempt = 1; host is null; attempt++)
        {
            try
            {
                host = await StartHostAsync(SharedAzurite.FreePort());
            }
            catch (IOException) when (attempt < 3)
            {
                // address already in use: another process took the port in between
            }
        }

        return host;
    }

    private Task<DurableTaskTestHost> StartHostAsync(int port) => DurableTaskTestHost.StartAsync(
        registry => registry.AddRollbackTasks(),
        new DurableTaskTestHostOptions
        {
            Port = port,
            ConfigureServices = services => services
                .AddSingleton(TimeProvider.System)
                .AddSingleton<IDeployStore>(Deploys)
                .AddSingleton<IRollbackStore>(Rollbacks)
                .AddSingleton<IQuarantineStore>(Quarantine)
                .AddSingleton<IAuditLog>(Audit)
                .AddSingleton<IRedactor>(new RollbackFunctions.Infrastructure.Audit.SecretRedactor([ConfiguredSecret]))
                .AddSingleton<IAlertLog>(Alerts)
                .AddSingleton<IPager>(Pager)
                .AddSingleton<IMetricSource>(Metrics)
                .AddSingleton<CheckSampler>()
                .AddSingleton<IRollbackLauncher>(Launcher)
                .AddSingleton<IGitOpsControllers>(GitOps)
                .AddSingleton(new StepExecutorCatalog([Executor, Targets])),
        });

    public async Task<RollbackResult> WaitAsync(string rollbackId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var state = await Client.WaitForInstanceCompletionAsync(rollbackId, getInputsAndOutputs: true, timeout.Token);
        Assert.True(state.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{state.RuntimeStatus}: {state.FailureDetails?.ErrorMessage}");
        return state.ReadOutputAs<RollbackResult>()!;
    }

    /// <summary>Waits until a step's row says it waits for approval.</summary>
    public async Task WaitForApprovalRequestAsync(string rollbackId, string stepId)
    {
        await Eventually.HoldsAsync(
            async () => (await Rollbacks.GetStepAsync(rollbackId, stepId, default))?.Status == StepStatus.AwaitingApproval,
            TimeSpan.FromSeconds(30),
            () => $"{stepId} never asked for approval",
            TimeSpan.FromMilliseconds(20));
    }

    public Task RaiseAsync(string rollbackId, string eventName, OperatorDecision decision) =>
        Client.RaiseEventAsync(rollbackId, eventName, decision);

    public async Task<DeployRecord> DeployOf(string rollbackId) =>
        (await Deploys.GetAsync((await Rollbacks.GetAsync(rollbackId, CancellationToken.None))!.DeployId, CancellationToken.None))!;

    public async ValueTask DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }
}
