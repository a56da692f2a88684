using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RollbackFunctions.Api.Rollbacks;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Infrastructure.Audit;
using RollbackFunctions.Infrastructure.Executors.Processes;
using RollbackFunctions.Infrastructure.Executors.Terraform;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Integration.Tests.Api;

/// <summary>
/// The rehearsal of a deploy with terraform steps: the dry runs run side by side, a plan that hangs
/// is ended by <c>Rollback:Rehearsal:Timeout</c>, and the result is stored and audited.
/// terraform is a stand-in at the wire; git is real.
/// </summary>
public sealed class RehearserTests : IDisposable
{
    /// <summary>
    /// Steps a and b each plan only once the other's plan has started (one waits for ever if they
    /// run one after the other); c's plan hangs until terraform's SIGINT.
    /// </summary>
    private const string Script = """
        case "$1" in
          init) echo "Terraform has been successfully initialized!";;
          plan)
            step=$(basename "$PWD"); touch "$state/started-$step"
            if [ "$step" = c ]; then
              trap 'echo INT >> "$state/signals"; exit 1' INT
              while true; do sleep 0.05; done
            fi
            other=$([ "$step" = a ] && echo b || echo a)
            until [ -f "$state/started-$other" ]; do sleep 0.05; done
            for arg in "$@"; do case "$arg" in -out=*) cp "$state/plan.json" "${arg#-out=}";; esac; done
            echo "Plan: 0 to add, 1 to change, 0 to destroy."; exit 2;;
          show) cat "${@: -1}";;
          *) echo "unexpected terraform command: $1" >&2; exit 64;;
        esac
        """;

    private readonly StandIn terraform = StandIn.Create("terraform", Script);
    private readonly GitRepository repository = GitRepository.Create();
    private readonly string workRoot = Path.Combine(Path.GetTempPath(), $"tf-rehearse-{Guid.NewGuid():N}");

    /// <summary>a and b each plan only once the other's plan has started: one after the other, a would wait for ever.</summary>
    [Fact]
    public async Task Rehearse_TerraformSteps_RunSideBySide_AndTheResultIsStoredAndAudited()
    {
        var (rehearser, deploy, audit) = await ArrangeAsync(TimeSpan.FromMinutes(2), "a", "b");

        var stored = await rehearser.RehearseAsync(deploy, "ci:pipeline", default);

        var steps = stored.Rehearsal!.Steps;
        Assert.True(steps["a"].Outcome == RehearsalOutcome.Ok, steps["a"].Detail);
        Assert.True(steps["b"].Outcome == RehearsalOutcome.Ok, steps["b"].Detail);
        var entry = Assert.Single(audit.Entries);
        Assert.Equal(AuditActions.Rehearsed, entry.Action);
        Assert.Equal("passed", entry.Outcome);
        Assert.Empty(Directory.GetDirectories(workRoot));
    }

    /// <summary>
    /// A plan that never ends is stopped by Rollback:Rehearsal:Timeout: the step fails (by the tool's
    /// deadline, SIGINT first, or by the rehearsal's own cancellation on a machine too slow for that),
    /// its scratch checkout is removed, and the rehearsal is stored and audited.
    /// </summary>
    [Fact]
    public async Task Rehearse_APlanThatHangs_EndsAtTheTimeout_Fails_AndIsStoredAndAudited()
    {
        var (rehearser, deploy, audit) = await ArrangeAsync(TimeSpan.FromSeconds(2), "c");

        var stored = await rehearser.RehearseAsync(deploy, "ci:pipeline", default);

        var hung = stored.Rehearsal!.Steps["c"];
        Assert.Equal(RehearsalOutcome.Fails, hung.Outcome);
        Assert.Matches("did not finish|no answer within", hung.Detail);
        Assert.Empty(Directory.GetDirectories(workRoot));
        Assert.Equal("notPassed", Assert.Single(audit.Entries).Outcome);
    }

    private async Task<(Rehearser Rehearser, DeployRecord Deploy, InMemoryAuditLog Audit)> ArrangeAsync(TimeSpan timeout, params string[] stepIds)
    {
        var commit = repository.Commit("infra", ("a/main.tf", "# a\n"), ("b/main.tf", "# b\n"), ("c/main.tf", "# c\n"));
        terraform.Write("plan.json", """{"resource_changes":[{"address":"azurerm_linux_web_app.a","type":"azurerm_linux_web_app","change":{"actions":["update"]}}]}""");
        var options = new TerraformOptions { Path = terraform.Path, Workspaces = { ["platform"] = repository.Path }, WorkRoot = workRoot };
        var processes = new ProcessRunner(new SecretRedactor([]), Options.Create(new ProcessOptions { GracePeriod = TimeSpan.FromMilliseconds(500) }));
        var executors = new StepExecutorCatalog([new TerraformExecutor(Options.Create(options), processes)]);
        var deploy = Record(steps: stepIds.Select(id => Infra(id, commit)).ToList());
        var deploys = new InMemoryDeployStore();
        await deploys.AddAsync(deploy, default);
        var audit = new InMemoryAuditLog();
        return (new Rehearser(executors, deploys, audit, new SecretRedactor([]), Options.Create(new RehearsalOptions { Timeout = timeout }), TimeProvider.System), deploy, audit);
    }

    private static DeployStep Infra(string id, string commit) =>
        Step(id, StepStatus.Pending) with
        {
            Kind = "terraform",
            Params = new JsonObject { ["checkout"] = "platform", ["path"] = id, ["previousRef"] = "main" },
            Captured = new JsonObject { ["commit"] = commit, ["previousRef"] = "main" },
        };

    public void Dispose()
    {
        terraform.Dispose();
        repository.Dispose();
        if (Directory.Exists(workRoot))
        {
            Directory.Delete(workRoot, recursive: true);
        }
    }
}
