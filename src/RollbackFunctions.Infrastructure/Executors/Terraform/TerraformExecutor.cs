using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Infrastructure.Executors.Processes;

namespace RollbackFunctions.Infrastructure.Executors.Terraform;

/// <summary>
/// <c>terraform</c>: the configuration as it was before the deploy (<c>previousRef</c>, fetched and
/// pinned to a commit at registration) is checked out into a <c>git worktree</c>, then <c>init</c>,
/// <c>plan -out</c>, <c>show -json</c>: no changes is `unchanged` (terraform's own three-state comparison). A plan that deletes or
/// replaces anything, or updates a protected type, is destructive (SAFETY.md 3): the worktree and
/// its saved plan are kept and an operator is asked with the plan's SHA-256 and its changes by
/// address; the approval names that digest, and exactly that saved plan file is applied. A plan
/// that is gone or stale is planned and asked again. init, plan and apply share one budget that
/// ends before the step's deadline, stopping included (<see cref="ProcessRunner"/>).
/// Idempotent by nature: a second revert plans no changes.
/// </summary>
public sealed partial class TerraformExecutor(IOptions<TerraformOptions> options, ProcessRunner processes, TimeProvider? clock = null) : IStepExecutor
{
    private const string PlanFile = "rollback.tfplan";

    private readonly TimeProvider time = clock ?? TimeProvider.System;

    public string Kind => "terraform";

    public string? ValidateParams(JsonObject parameters) => Read(parameters, out _);

    /// <summary>What <see cref="DestructiveEffect"/> stops for, in words for the plan.</summary>
    public string? AsksApprovalWhen(JsonObject parameters) =>
        $"its plan deletes or replaces a resource{(options.Value.ProtectedTypes.Count > 0 ? $", or updates a protected type ({string.Join(", ", options.Value.ProtectedTypes.Order(StringComparer.Ordinal))})" : "")}";

    /// <summary>Fetches, then pins <c>previousRef</c> to its commit now: a branch that moves later must not change what the revert applies.</summary>
    public async Task<StepPreparation> PrepareAsync(StepPrepareRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var step) is { } problem)
        {
            return StepPreparation.Failed(problem, transient: false);
        }

        var checkout = Checkout(step);
        if (await checkout.FetchAsync(cancellationToken) is { } fetchProblem)
        {
            return StepPreparation.Failed($"could not fetch checkout {step.Checkout}: {fetchProblem}", transient: true);
        }

        if (await checkout.ResolveAsync(step.PreviousRef, cancellationToken) is not { } commit)
        {
            return StepPreparation.Failed($"checkout {step.Checkout} has no commit '{step.PreviousRef}'", transient: false);
        }

        // "before" of the three-state rule: the infrastructure as it is now, refreshed from the real resources.
        var observed = await ObserveAtAsync(step, commit, cancellationToken);
        return observed.State is { } before
            ? new StepPreparation(new JsonObject { ["commit"] = commit, ["previousRef"] = step.PreviousRef }) { Before = before }
            : StepPreparation.Failed(observed.Problem!, observed.Transient);
    }

    /// <summary>
    /// The infrastructure now (the <c>after</c> and <c>current</c> of the three-state rule), so a
    /// change made since this deploy applied (a hotfix in the console, another apply) is drift, asked
    /// about, never silently planned away: <see cref="TerraformState"/>.
    /// </summary>
    public async Task<TargetObservation> ObserveAsync(StepObserveRequest request, CancellationToken cancellationToken) =>
        Read(request.Params, out var step) is { } problem
            ? TargetObservation.Failed(problem, transient: false)
            : await ObserveAtAsync(step, (string?)request.Captured?["commit"] ?? step.PreviousRef, cancellationToken);

    /// <summary>
    /// <c>plan -refresh-only -lock=false</c> in a scratch worktree of <paramref name="commit"/> (the
    /// configuration names the providers to refresh with): it reads every real resource, writes no
    /// state and takes no lock; then <c>show -json</c> of that plan. Failures are transient (a
    /// provider or the backend that did not answer); the worktree is always removed.
    /// </summary>
    private async Task<TargetObservation> ObserveAtAsync(TerraformStep step, string commit, CancellationToken cancellationToken)
    {
        const string refreshed = "observe.tfplan";
        var run = new TerraformRun(step, commit, Checkout(step), Path.Combine(options.Value.WorkRoot, $"observe-{Guid.NewGuid():N}"), time.GetUtcNow() + ObserveLimit);
        try
        {
            if (await run.Checkout.AddWorktreeAsync(run.Worktree, commit, cancellationToken) is { } checkoutProblem)
            {
                return TargetObservation.Failed($"could not check out {commit} of checkout {step.Checkout}: {checkoutProblem}", transient: true);
            }

            var (shown, failure) = await ShowPlanAsync(run, ["-refresh-only", "-lock=false", $"-out={refreshed}"], refreshed, "refresh-only plan", cancellationToken);
            return shown is null
                ? TargetObservation.Failed($"could not read the infrastructure of {run.What}: {failure!.Detail}", transient: true)
                : Observed(TerraformState.Parse(shown));
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            return TargetObservation.Failed($"the refresh-only plan of {run.What} could not be read: {e.Message}", transient: false);
        }
        finally
        {
            await run.Checkout.RemoveWorktreeAsync(run.Worktree);
        }
    }

    /// <summary>The state with its fingerprint as its version: the revert's plan must start from exactly this state.</summary>
    private static TargetObservation Observed(TargetState state) => new(state) { Version = state.Fingerprint() };

    /// <summary>How long one read of the infrastructure may take (the caller's token may end it sooner).</summary>
    private static readonly TimeSpan ObserveLimit = TimeSpan.FromMinutes(5);

    public async Task<StepRevertResult> RevertAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var step) is { } problem)
        {
            return StepRevertResult.Failed(problem);
        }

        // A few seconds of the deadline are kept for reporting: the step's row says why, not the timer.
        var deadline = time.GetUtcNow() + request.Remaining(time.GetUtcNow()) - TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, request.WaitLimit.Ticks / 20));
        RemoveAbandonedPlans();
        var commit = (string?)request.Captured?["commit"] ?? step.PreviousRef;
        var run = new TerraformRun(step, commit, Checkout(step), Path.Combine(options.Value.WorkRoot, $"{request.RollbackId}-{request.StepId}"), deadline);
        var kept = false;
        try
        {
            var (result, keep) = await RevertInAsync(run, request, cancellationToken);
            kept = keep;
            return result;
        }
        finally
        {
            if (!kept)
            {
                await run.Checkout.RemoveWorktreeAsync(run.Worktree);
            }
        }
    }

    /// <summary>The result, and whether the worktree (with its saved plan) stays for the approval.</summary>
    private async Task<(StepRevertResult Result, bool Keep)> RevertInAsync(TerraformRun run, StepRevertRequest request, CancellationToken cancellationToken)
    {
        // The saved plan only over the state it was made from: judged again after the approval wait
        // from a state that changed since (a hotfix), it is planned afresh and that plan shown.
        if (request.PlanDigest is { } approved && Digest(run.SavedPlan) == approved && !SavedFromAnotherState(run, request))
        {
            var applied = await ApplyAsync(run, cancellationToken);
            if (!applied.Stale)
            {
                return (applied.Result, false);
            }
        }

        // No saved plan, another one, or a stale one: plan afresh.
        await run.Checkout.RemoveWorktreeAsync(run.Worktree);
        if (await run.Checkout.AddWorktreeAsync(run.Worktree, run.Commit, cancellationToken) is { } checkoutProblem)
        {
            return (StepRevertResult.Failed($"could not check out {run.Commit} of checkout {run.Step.Checkout}: {checkoutProblem}"), false);
        }

        var (plan, failure) = await PlanAsync(run, cancellationToken);
        if (plan is null)
        {
            return (failure!, false);
        }

        // Only over what was judged: the plan's refreshed state must be the one the three-state read saw.
        if (request.ObservedVersion is { } judged && plan.PriorState is { } planned && planned.Fingerprint() != judged)
        {
            throw new TargetChangedException($"the infrastructure of {run.What} changed between the three-state read and the plan; nothing applied");
        }

        if (!plan.HasChanges)
        {
            return (StepRevertResult.Unchanged($"{run.What}: no changes, the infrastructure already matches the state from before the deploy"), false);
        }

        // Approved before any plan was shown (revert mode approval) or for another plan: nobody saw this one.
        var destructive = DestructiveEffect(plan);
        var digest = Digest(run.SavedPlan)!;
        if ((destructive is not null || request.Approved) && request.PlanDigest != digest)
        {
            var why = destructive ?? "was approved before any plan was shown";
            await File.WriteAllTextAsync(run.SavedSummary, plan.Summary, cancellationToken);
            if (plan.PriorState is { } prior)
            {
                await File.WriteAllTextAsync(run.SavedPriorState, prior.Fingerprint(), cancellationToken);
            }

            return (StepRevertResult.NeedsApproval(
                $"the plan of {run.What} {why}; plan sha256:{digest}: {plan.ByAddress} ({plan.Summary}); approve with this planDigest to apply exactly this plan", digest), true);
        }

        await File.WriteAllTextAsync(run.SavedSummary, plan.Summary, cancellationToken);
        var result = await ApplyAsync(run, cancellationToken);
        return (result.Stale ? StepRevertResult.Failed($"the plan of {run.What} went stale as it was made: {result.Result.Detail}") : result.Result, false);
    }

    /// <summary>Whether the saved plan was made from a refreshed state other than the one the revert judged now.</summary>
    private static bool SavedFromAnotherState(TerraformRun run, StepRevertRequest request) =>
        request.ObservedVersion is { } judged && File.Exists(run.SavedPriorState) && File.ReadAllText(run.SavedPriorState) != judged;

    /// <summary>
    /// The one judgement of a plan by effect (SAFETY.md 3), for the revert and its rehearsal alike:
    /// "would replace a, delete b" when it deletes or replaces anything, or updates a protected type;
    /// null when an operator need not see it.
    /// </summary>
    private string? DestructiveEffect(TerraformPlan plan) =>
        plan.Destructive(options.Value.ProtectedTypes) is { Count: > 0 } destructive
            ? $"would {string.Join(", ", destructive.Select(c => $"{c.Verb} {c.Address}"))}"
            : null;

    /// <summary>
    /// The plan (saved) of the run's checkout, read. A rehearsal takes no state lock (<c>-lock=false</c>:
    /// it writes no state, and must not stall a CI apply holding the lock) and plans with
    /// <c>-detailed-exitcode</c>, so a plan without changes is not shown.
    /// </summary>
    private async Task<(TerraformPlan? Plan, StepRevertResult? Failure)> PlanAsync(TerraformRun run, CancellationToken cancellationToken, bool rehearsal = false)
    {
        string[] mode = rehearsal ? ["-lock=false", DetailedExitCode, $"-out={PlanFile}"] : [LockTimeout, $"-out={PlanFile}"];
        var (shown, failure) = await ShowPlanAsync(run, mode, PlanFile, "plan", cancellationToken);
        if (shown is null)
        {
            return (null, failure);
        }

        if (shown.Length == 0)
        {
            return (new TerraformPlan([]), null);
        }

        try
        {
            return (TerraformPlan.Parse(shown), null);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            return (null, StepRevertResult.Failed($"the plan of {run.What} could not be read: {e.Message}"));
        }
    }

    /// <summary>
    /// <c>init</c>, <c>plan</c> with <paramref name="mode"/> and the step's variables, then <c>show -json</c>
    /// of <paramref name="file"/>: the document, empty when a <c>-detailed-exitcode</c> plan said it has
    /// no changes (exit 0; 2 means changes), or why not. A mode with <c>-lock=false</c> takes no lock in init either.
    /// </summary>
    private async Task<(string? Shown, StepRevertResult? Failure)> ShowPlanAsync(TerraformRun run, string[] mode, string file, string what, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(run.Directory))
        {
            return (null, StepRevertResult.Failed($"{run.Step.Path} does not exist in {run.Commit} of checkout {run.Step.Checkout}"));
        }

        if (run.Step.VarFiles.FirstOrDefault(f => !InsideCheckout(run, f)) is { } outside)
        {
            return (null, StepRevertResult.Failed($"params.varFiles '{outside}' is not a file inside {run.Step.Path} of {run.Commit}"));
        }

        string[] locking = mode.Contains("-lock=false") ? ["-lock=false"] : [];
        var init = await TerraformAsync(run, cancellationToken, ["init", "-input=false", "-no-color", .. locking, .. run.Step.BackendConfig.Select(b => $"-backend-config={b}")]);
        if (init.ExitCode != 0)
        {
            return (null, Ended(init, $"terraform init of {run.What}"));
        }

        var detailed = mode.Contains(DetailedExitCode);
        var plan = await TerraformAsync(run, cancellationToken,
            ["plan", "-input=false", "-no-color", .. mode,
                .. run.Step.VarFiles.Select(f => $"-var-file={f}"),
                .. run.Step.Vars.SelectMany(v => new[] { "-var", $"{v.Key}={v.Value}" })]);
        if (detailed && plan is { ExitCode: 0, TimedOut: false })
        {
            return (string.Empty, null);
        }

        if (plan.ExitCode != 0 && !(detailed && plan is { ExitCode: 2, TimedOut: false }))
        {
            return (null, Ended(plan, $"terraform {what} of {run.What}"));
        }

        var shown = await TerraformAsync(run, cancellationToken, ["show", "-json", "-no-color", file]);
        return shown.ExitCode == 0 ? (shown.StandardOutput, null) : (null, Ended(shown, $"terraform show of the {what} of {run.What}"));
    }

    private const string DetailedExitCode = "-detailed-exitcode";

    /// <summary>Applies the saved plan file; <c>Stale</c> when terraform refuses it because the state moved since the plan.</summary>
    private async Task<(StepRevertResult Result, bool Stale)> ApplyAsync(TerraformRun run, CancellationToken cancellationToken)
    {
        var apply = await TerraformAsync(run, cancellationToken, ["apply", "-input=false", "-no-color", "-auto-approve", LockTimeout, PlanFile]);
        return apply.ExitCode == 0
            ? (StepRevertResult.Reverted($"applied the plan of {run.What} (sha256:{Digest(run.SavedPlan)}): {(File.Exists(run.SavedSummary) ? File.ReadAllText(run.SavedSummary) : apply.Tail(200))}"), false)
            : (Ended(apply, $"terraform apply of {run.What}"), apply.StandardError.Contains("Saved plan is stale", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// A worktree kept for an approval that never came (rejected, timed out, the rollback aborted)
    /// is removed here once it is a day old, far past any approval window; git forgets it at the
    /// next <c>worktree prune</c> of its repository.
    /// </summary>
    private void RemoveAbandonedPlans()
    {
        if (!Directory.Exists(options.Value.WorkRoot))
        {
            return;
        }

        foreach (var kept in new DirectoryInfo(options.Value.WorkRoot).EnumerateDirectories().Where(d => d.LastWriteTimeUtc < time.GetUtcNow().UtcDateTime - AbandonedAfter))
        {
            try
            {
                kept.Delete(recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // In use or read-only (git objects): the next revert tries again.
            }
        }
    }

    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromDays(1);

    private string LockTimeout => $"-lock-timeout={(long)options.Value.LockTimeout.TotalSeconds}s";

    private static bool InsideCheckout(TerraformRun run, string file)
    {
        var full = Path.GetFullPath(Path.Combine(run.Directory, file));
        var target = File.Exists(full) ? new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full : null;
        return target is not null && target.StartsWith(Path.GetFullPath(run.Worktree) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    private static string? Digest(string file) =>
        File.Exists(file) ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))) : null;

    private static StepRevertResult Ended(ProcessResult result, string what) =>
        result.TimedOut
            ? StepRevertResult.TimedOut($"{what} did not finish within the step's deadline: {result.Tail()}")
            : StepRevertResult.Failed($"{what} exited {result.ExitCode}: {result.Tail()}");

    private Task<ProcessResult> TerraformAsync(TerraformRun run, CancellationToken cancellationToken, string[] arguments)
    {
        var environment = new Dictionary<string, string?>(options.Value.Environment.Select(e => KeyValuePair.Create(e.Key, (string?)e.Value)))
        {
            ["TF_IN_AUTOMATION"] = "1",
            ["TF_INPUT"] = "0",
        };
        if (run.Step.TerraformWorkspace is { } selected)
        {
            environment["TF_WORKSPACE"] = selected;
        }

        var left = run.Deadline - time.GetUtcNow();
        return left > TimeSpan.Zero
            ? processes.RunAsync(options.Value.Path!, arguments, run.Directory, left, cancellationToken, environment)
            : Task.FromResult(new ProcessResult(-1, "", $"terraform {arguments[0]} not started: no time left before the step's deadline", TimedOut: true));
    }

    private GitCheckout Checkout(TerraformStep step) => new(processes, options.Value.GitPath, step.Repository);

    /// <summary>One revert: the step, the commit, the worktree and the deadline everything ends by.</summary>
    private sealed record TerraformRun(TerraformStep Step, string Commit, GitCheckout Checkout, string Worktree, DateTimeOffset Deadline)
    {
        public string Directory => System.IO.Path.Combine(Worktree, Step.Path);

        public string SavedPlan => System.IO.Path.Combine(Directory, PlanFile);

        /// <summary>The saved plan's summary, kept beside it for the detail of the apply that may come after an approval.</summary>
        public string SavedSummary => System.IO.Path.Combine(Worktree, ".rollback-plan-summary");

        /// <summary>The fingerprint of the refreshed state the saved plan was made from (its prior_state), kept beside it.</summary>
        public string SavedPriorState => System.IO.Path.Combine(Worktree, ".rollback-plan-prior-state");

        public string What => $"{Step.Checkout}/{Step.Path} at {Commit[..Math.Min(12, Commit.Length)]}";
    }
}
