using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Infrastructure.Executors.Kubernetes;
using RollbackFunctions.Infrastructure.Executors.Processes;

namespace RollbackFunctions.Infrastructure.Executors.Terraform;

/// <summary>
/// <c>terraform</c>: the configuration as it was before the deploy (<c>previousRef</c>, pinned to a
/// commit at registration) is checked out into a temporary <c>git worktree</c>, then
/// <c>init</c>, <c>plan -out</c>, <c>show -json</c>: no changes is already reverted; a plan that
/// deletes or replaces a protected resource type waits for an operator with the plan as evidence;
/// otherwise that plan file is applied. The worktree is removed whatever happened. Idempotent by
/// nature: a second revert plans no changes.
/// </summary>
public sealed partial class TerraformExecutor(IOptions<TerraformOptions> options, ProcessRunner processes) : IStepExecutor
{
    private const string PlanFile = "rollback.tfplan";

    public string Kind => "terraform";

    public string? ValidateParams(JsonObject parameters) => Read(parameters, out _);

    /// <summary>Pins <c>previousRef</c> to its commit now: a branch that moves later must not change what the revert applies.</summary>
    public async Task<StepPreparation> PrepareAsync(StepPrepareRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var step) is { } problem)
        {
            return StepPreparation.Failed(problem, transient: false);
        }

        var resolved = await GitAsync(step.Repository, cancellationToken, "rev-parse", "--verify", "--end-of-options", $"{step.PreviousRef}^{{commit}}");
        return resolved.ExitCode == 0
            ? new StepPreparation(new JsonObject { ["commit"] = resolved.StandardOutput.Trim(), ["previousRef"] = step.PreviousRef })
            : StepPreparation.Failed($"workspace {step.Workspace} has no commit '{step.PreviousRef}': {resolved.Tail()}", transient: false);
    }

    public async Task<StepRevertResult> RevertAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var step) is { } problem)
        {
            return StepRevertResult.Failed(problem);
        }

        var commit = (string?)request.Captured?["commit"] ?? step.PreviousRef;
        var worktree = Path.Combine(options.Value.WorkRoot, $"{request.RollbackId}-{request.StepId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(options.Value.WorkRoot);
        var added = await GitAsync(step.Repository, cancellationToken, "worktree", "add", "--detach", worktree, commit);
        if (added.ExitCode != 0)
        {
            return StepRevertResult.Failed($"could not check out {commit} of workspace {step.Workspace}: {added.Tail()}");
        }

        try
        {
            return await PlanAndApplyAsync(step, commit, Path.Combine(worktree, step.Path), request, cancellationToken);
        }
        finally
        {
            await GitAsync(step.Repository, CancellationToken.None, "worktree", "remove", "--force", worktree);
        }
    }

    private async Task<StepRevertResult> PlanAndApplyAsync(TerraformStep step, string commit, string directory, StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(directory))
        {
            return StepRevertResult.Failed($"{step.Path} does not exist in {commit} of workspace {step.Workspace}");
        }

        var what = $"{step.Workspace}/{step.Path} at {commit[..Math.Min(12, commit.Length)]}";
        var init = await TerraformAsync(directory, options.Value.PlanTimeout, cancellationToken, "init", "-input=false", "-no-color");
        if (init.ExitCode != 0)
        {
            return Ended(init, $"terraform init of {what}");
        }

        var plan = await TerraformAsync(directory, options.Value.PlanTimeout, cancellationToken, ["plan", "-input=false", "-no-color", $"-out={PlanFile}", .. step.Vars.SelectMany(v => new[] { "-var", $"{v.Key}={v.Value}" })]);
        if (plan.ExitCode != 0)
        {
            return Ended(plan, $"terraform plan of {what}");
        }

        var shown = await TerraformAsync(directory, options.Value.PlanTimeout, cancellationToken, "show", "-json", "-no-color", PlanFile);
        if (shown.ExitCode != 0)
        {
            return Ended(shown, $"terraform show of the plan of {what}");
        }

        TerraformPlan changes;
        try
        {
            changes = TerraformPlan.Parse(shown.StandardOutput);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            return StepRevertResult.Failed($"the plan of {what} could not be read: {e.Message}");
        }

        if (!changes.HasChanges)
        {
            // Terraform's own comparison of the infrastructure with the state from before the deploy.
            return StepRevertResult.Unchanged($"{what}: no changes, the infrastructure already matches it");
        }

        var destructive = changes.Destructive(options.Value.ProtectedTypes);
        if (destructive.Count > 0 && !request.Approved)
        {
            return StepRevertResult.NeedsApproval(
                $"the plan of {what} would {string.Join(", ", destructive.Select(c => $"{c.Verb} {c.Address}"))} (protected types); plan: {changes.Summary}");
        }

        var apply = await TerraformAsync(directory, KubernetesWorkloadExecutor.WaitBudget(request.WaitLimit), cancellationToken, "apply", "-input=false", "-no-color", "-auto-approve", PlanFile);
        return apply.ExitCode == 0
            ? StepRevertResult.Reverted($"applied the plan of {what}: {changes.Summary}")
            : Ended(apply, $"terraform apply of {what}");
    }

    private static StepRevertResult Ended(ProcessResult result, string what) =>
        result.TimedOut
            ? StepRevertResult.TimedOut($"{what} did not finish: {result.Tail()}")
            : StepRevertResult.Failed($"{what} exited {result.ExitCode}: {result.Tail()}");

    private Task<ProcessResult> TerraformAsync(string directory, TimeSpan timeout, CancellationToken cancellationToken, params string[] arguments) =>
        processes.RunAsync(
            options.Value.Path!,
            arguments,
            directory,
            timeout,
            cancellationToken,
            new Dictionary<string, string?>(options.Value.Environment.Select(e => KeyValuePair.Create(e.Key, (string?)e.Value)))
            {
                ["TF_IN_AUTOMATION"] = "1",
                ["TF_INPUT"] = "0",
            });

    private Task<ProcessResult> GitAsync(string repository, CancellationToken cancellationToken, params string[] arguments) =>
        processes.RunAsync(options.Value.GitPath, ["-C", repository, .. arguments], repository, TimeSpan.FromMinutes(2), cancellationToken);

    private string? Read(JsonObject parameters, out TerraformStep step)
    {
        var p = new StepParams(parameters).OnlyKnown("workspace", "path", "previousRef", "vars");
        var workspace = p.Matching("workspace", WorkspaceName(), "must be a workspace name");
        var path = p.RelativePath("path");
        var previousRef = p.Matching("previousRef", GitRef(), "must be a commit, branch or tag (letters, digits, '.', '_', '-', '/'; not starting with '-'; no '..')");
        var vars = p.PlainValues("vars", VariableName());
        var repository = "";
        if (workspace is not null && !options.Value.Workspaces.TryGetValue(workspace, out repository!))
        {
            var known = options.Value.Workspaces.Keys.Order(StringComparer.Ordinal).ToList();
            p.Add("workspace", $"'{workspace}' is not a configured workspace; {(known.Count == 0 ? "none is configured (Rollback:Executors:Terraform:Workspaces)" : $"configured: {string.Join(", ", known)}")}");
        }

        if (string.IsNullOrEmpty(options.Value.Path))
        {
            p.Add("workspace", "cannot be reverted here: terraform is not configured (Rollback:Executors:Terraform:Path)");
        }

        step = new TerraformStep(workspace ?? "", repository ?? "", path ?? "", previousRef ?? "", vars);
        return p.Problem;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex WorkspaceName();

    /// <summary>A git ref or commit that cannot be read as an option or walk out of refs/.</summary>
    [GeneratedRegex(@"^(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/-]{1,200}$")]
    private static partial Regex GitRef();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    private static partial Regex VariableName();

    private sealed record TerraformStep(string Workspace, string Repository, string Path, string PreviousRef, IReadOnlyDictionary<string, string> Vars);
}
