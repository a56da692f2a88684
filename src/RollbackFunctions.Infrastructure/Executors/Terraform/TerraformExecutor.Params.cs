using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RollbackFunctions.Infrastructure.Executors.Terraform;

/// <summary>The <c>params</c> of a <c>terraform</c> step, validated at registration.</summary>
public sealed partial class TerraformExecutor
{
    /// <summary>
    /// The configured checkout a step's params name: <c>checkout</c>; or, in a registration stored
    /// before <c>checkout</c> existed (deprecated form), <c>workspace</c> when it names a configured
    /// checkout and <c>checkout</c> is absent. The one reading of it, for the executor and for the
    /// environments the checkout serves (<see cref="StepTargets"/>).
    /// </summary>
    public static string? CheckoutOf(JsonObject parameters, IReadOnlyDictionary<string, string> checkouts) =>
        Text(parameters, "checkout") ?? (Text(parameters, "workspace") is { } legacy && checkouts.ContainsKey(legacy) ? legacy : null);

    /// <summary>
    /// params: <c>checkout</c> (one of <c>Rollback:Executors:Terraform:Workspaces</c>), <c>path</c>,
    /// <c>previousRef</c>, <c>vars</c>, <c>varFiles</c>, <c>backendConfig</c> and <c>workspace</c>, the
    /// Terraform workspace (<c>TF_WORKSPACE</c>), as issue 18 names them. Deprecated, still read so
    /// stored registrations revert as they were registered: <c>terraformWorkspace</c> for
    /// <c>workspace</c>, and without <c>checkout</c>, <c>workspace</c> naming the checkout.
    /// </summary>
    private string? Read(JsonObject parameters, out TerraformStep step)
    {
        var p = new StepParams(parameters).OnlyKnown("checkout", "workspace", "terraformWorkspace", "path", "previousRef", "vars", "varFiles", "backendConfig");
        var checkouts = options.Value.Workspaces;
        var named = parameters.ContainsKey("checkout");
        var legacy = !named && CheckoutOf(parameters, checkouts) is not null;
        var checkout = legacy ? Text(parameters, "workspace") : p.Matching("checkout", WorkspaceName(), "must be a checkout name", required: false);
        var workspace = legacy ? null : p.Matching("workspace", WorkspaceName(), "must be a terraform workspace name", required: false);
        var deprecated = p.Matching("terraformWorkspace", WorkspaceName(), "must be a terraform workspace name", required: false);
        if (deprecated is not null && workspace is not null && deprecated != workspace)
        {
            p.Add("terraformWorkspace", "is the deprecated name of params.workspace (the Terraform workspace); give only workspace");
        }

        workspace ??= deprecated;
        var path = p.RelativePath("path");
        var previousRef = p.Matching("previousRef", GitRef(), "must be a commit, branch or tag (letters, digits, '.', '_', '-', '/'; not starting with '-'; no '..')");
        var vars = p.PlainValues("vars", VariableName());
        var varFiles = p.List("varFiles", VarFile(), "is a relative path inside the checkout (letters, digits, '.', '_', '-', '/'; no '..', '.' or empty segments)");
        if (varFiles.Any(file => file.Split('/').Any(segment => segment is "" or "." or "..")))
        {
            p.Add("varFiles", "entries must not contain '..', '.' or empty segments");
        }

        var backendConfig = p.List("backendConfig", BackendSetting(), "is key=value (a simple key; no control characters)");
        var repository = "";
        var known = checkouts.Keys.Order(StringComparer.Ordinal).ToList();
        var configured = known.Count == 0 ? "none is configured (Rollback:Executors:Terraform:Workspaces)" : $"configured: {string.Join(", ", known)}";
        if (!named && !legacy)
        {
            p.Add("checkout", $"is required: the configured checkout to revert in; {configured}");
        }
        else if (checkout is not null && !checkouts.TryGetValue(checkout, out repository!))
        {
            p.Add("checkout", $"'{checkout}' is not a configured checkout; {configured}");
        }

        if (string.IsNullOrEmpty(options.Value.Path))
        {
            p.Add("checkout", "cannot be reverted here: terraform is not configured (Rollback:Executors:Terraform:Path)");
        }

        step = new TerraformStep(checkout ?? "", repository ?? "", path ?? "", previousRef ?? "", vars, varFiles, backendConfig, workspace);
        return p.Problem;
    }

    private static string? Text(JsonObject parameters, string field) =>
        parameters[field] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

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

    /// <summary>A step's validated params: the configured checkout, its repository path, and the Terraform workspace (null: the default).</summary>
    private sealed record TerraformStep(
        string Checkout,
        string Repository,
        string Path,
        string PreviousRef,
        IReadOnlyDictionary<string, string> Vars,
        IReadOnlyList<string> VarFiles,
        IReadOnlyList<string> BackendConfig,
        string? TerraformWorkspace);
}
