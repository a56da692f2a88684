using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RollbackFunctions.Infrastructure.Executors.Terraform;

/// <summary>The <c>params</c> of a <c>terraform</c> step, validated at registration.</summary>
public sealed partial class TerraformExecutor
{
    private string? Read(JsonObject parameters, out TerraformStep step)
    {
        var p = new StepParams(parameters).OnlyKnown("workspace", "path", "previousRef", "vars", "varFiles", "backendConfig", "terraformWorkspace");
        var workspace = p.Matching("workspace", WorkspaceName(), "must be a workspace name");
        var path = p.RelativePath("path");
        var previousRef = p.Matching("previousRef", GitRef(), "must be a commit, branch or tag (letters, digits, '.', '_', '-', '/'; not starting with '-'; no '..')");
        var vars = p.PlainValues("vars", VariableName());
        var varFiles = p.List("varFiles", VarFile(), "is a relative path inside the checkout (letters, digits, '.', '_', '-', '/'; no '..', '.' or empty segments)");
        if (varFiles.Any(file => file.Split('/').Any(segment => segment is "" or "." or "..")))
        {
            p.Add("varFiles", "entries must not contain '..', '.' or empty segments");
        }

        var backendConfig = p.List("backendConfig", BackendSetting(), "is key=value (a simple key; no control characters)");
        var terraformWorkspace = p.Matching("terraformWorkspace", WorkspaceName(), "must be a terraform workspace name", required: false);
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

        step = new TerraformStep(workspace ?? "", repository ?? "", path ?? "", previousRef ?? "", vars, varFiles, backendConfig, terraformWorkspace);
        return p.Problem;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex WorkspaceName();

    /// <summary>A git ref or commit that cannot be read as an option or walk out of refs/.</summary>
    [GeneratedRegex(@"^(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/-]{1,200}$")]
    private static partial Regex GitRef();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    private static partial Regex VariableName();

    /// <summary>A relative path that cannot be read as an option.</summary>
    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._/-]{0,254}$")]
    private static partial Regex VarFile();

    /// <summary><c>key=value</c> for <c>-backend-config</c>: a simple key, a value without control characters.</summary>
    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.-]{0,63}=[^\x00-\x1f\x7f]{0,512}$")]
    private static partial Regex BackendSetting();

    /// <summary>A step's validated params and the checkout its workspace names.</summary>
    private sealed record TerraformStep(
        string Workspace,
        string Repository,
        string Path,
        string PreviousRef,
        IReadOnlyDictionary<string, string> Vars,
        IReadOnlyList<string> VarFiles,
        IReadOnlyList<string> BackendConfig,
        string? TerraformWorkspace);
}
