using System.Text.Json.Nodes;

namespace RollbackFunctions.Testing;

/// <summary>
/// Documents the terraform stand-ins answer, in the JSON output format of <c>terraform show -json</c>
/// (format_version 1.2, developer.hashicorp.com/terraform/internals/json-format), written to that
/// format, not captured from a run: terraform cannot be installed here.
/// </summary>
public static class TerraformDocuments
{
    /// <summary>
    /// A <c>plan -refresh-only</c> as <c>show -json</c> prints it: <c>prior_state</c> holds the state
    /// refreshed from the real resources (address → values), no resource changes.
    /// </summary>
    public static string Refreshed(params (string Address, JsonObject Values)[] resources) => new JsonObject
    {
        ["format_version"] = "1.2",
        ["terraform_version"] = "1.9.5",
        ["prior_state"] = new JsonObject
        {
            ["format_version"] = "1.0",
            ["terraform_version"] = "1.9.5",
            ["values"] = new JsonObject
            {
                ["root_module"] = new JsonObject
                {
                    ["resources"] = new JsonArray(resources.Select(r => (JsonNode)new JsonObject
                    {
                        ["address"] = r.Address,
                        ["mode"] = "managed",
                        ["type"] = r.Address.Split('.')[0],
                        ["name"] = r.Address.Split('.')[1],
                        ["provider_name"] = "registry.terraform.io/hashicorp/azurerm",
                        ["schema_version"] = 0,
                        ["values"] = r.Values.DeepClone(),
                        ["sensitive_values"] = new JsonObject(),
                    }).ToArray()),
                },
            },
        },
        ["resource_changes"] = new JsonArray(),
    }.ToJsonString();

    /// <summary>A bash fragment for a stand-in's <c>plan</c>: a refresh-only plan saves <c>$state/live.json</c> (the real resources; none when absent), any other plan <c>$state/plan.json</c>.</summary>
    public const string SavePlan = """
        refresh=0; for a in "$@"; do [ "$a" = -refresh-only ] && refresh=1; done
        for a in "$@"; do case "$a" in -out=*)
          if [ $refresh = 1 ]; then
            if [ -f "$state/live.json" ]; then cp "$state/live.json" "${a#-out=}"; else echo '{"format_version":"1.2","prior_state":{"values":{"root_module":{}}}}' > "${a#-out=}"; fi
          else cp "$state/plan.json" "${a#-out=}"; fi;;
        esac; done
        """;
}
