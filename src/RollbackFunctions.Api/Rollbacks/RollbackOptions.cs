using System.ComponentModel.DataAnnotations;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Api.Rollbacks;

/// <summary>Rollback tunables, bound from <c>Rollback:Orchestration</c>. Deploys may override the step and verification ones.</summary>
public sealed class RollbackOptions
{
    private static readonly RollbackSettings Defaults = RollbackSettings.Default;

    [Range(1, DeployDefaults.MaxStepAttempts)]
    public int StepMaxAttempts { get; set; } = Defaults.StepMaxAttempts;

    public TimeSpan StepFirstRetryInterval { get; set; } = Defaults.StepFirstRetryInterval;

    [Range(1.0, 10.0)]
    public double StepBackoffCoefficient { get; set; } = Defaults.StepBackoffCoefficient;

    public TimeSpan StepDeadline { get; set; } = Defaults.StepDeadline;

    public TimeSpan ApprovalTimeout { get; set; } = Defaults.ApprovalTimeout;

    public TimeSpan PageWaitLimit { get; set; } = Defaults.PageWaitLimit;

    public TimeSpan VerifyInterval { get; set; } = Defaults.Verification.Interval;

    [Range(1, DeployDefaults.MaxRequiredHealthyChecks)]
    public int RequiredHealthyChecks { get; set; } = Defaults.Verification.RequiredHealthyChecks;

    public TimeSpan VerifyWindow { get; set; } = Defaults.Verification.Window;

    public NoDataPolicy NoData { get; set; } = Defaults.Verification.NoData;

    /// <summary>Shorter durable timers are lengthened to this: the Azure Storage provider schedules timers in whole seconds.</summary>
    public TimeSpan ShortestTimer { get; set; } = Defaults.ShortestTimer;

    /// <summary>
    /// A claim whose orchestration was not scheduled after this long was lost in a crash; the next
    /// alert or operator request for the deploy takes it over and schedules it.
    /// </summary>
    public TimeSpan StaleClaimAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often each host looks for claims lost in a crash (the local runtime; the Functions app's timer runs every 30 s).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan LostClaimSweepInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long after it was (re)scheduled a rollback's orchestration may be Failed, Terminated or
    /// missing before the stalled-rollback sweep acts on it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan StalledAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Restarts of a stalled rollback before it is escalated (failed, paged) instead.</summary>
    [Range(0, 10)]
    public int StalledRestartLimit { get; set; } = 2;

    /// <summary>How often the local runtime looks for stalled rollbacks (the Functions app's timer runs every minute).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan StalledSweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often that sweep also looks for stale watchers (a scan of the last days' deploys, so less
    /// often than for claims): at most this often, on the sweep's ticks.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan WatcherSweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A watcher is never called stale (ops page, <c>/metrics</c>, the sweep) sooner than this after its
    /// last report, whatever its interval: its first round follows its claim within seconds, engine permitting.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan WatcherStaleGrace { get; set; } = Core.Watching.WatchFreshness.MinimumGrace;

    public RollbackSettings ToSettings() => new(
        StepMaxAttempts,
        StepFirstRetryInterval,
        StepBackoffCoefficient,
        StepDeadline,
        ApprovalTimeout,
        PageWaitLimit,
        new VerificationSettings(VerifyInterval, RequiredHealthyChecks, VerifyWindow, NoData),
        ShortestTimer);
}
