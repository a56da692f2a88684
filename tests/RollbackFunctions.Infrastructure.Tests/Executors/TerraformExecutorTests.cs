using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Infrastructure.Audit;
using RollbackFunctions.Infrastructure.Executors.Processes;
using RollbackFunctions.Infrastructure.Executors.Terraform;

namespace RollbackFunctions.Infrastructure.Tests.Executors;

/// <summary>
/// terraform cannot be installed here: a stand-in at the configured path records the calls and
/// answers <c>show -json</c> with plan documents from tests/fixtures/terraform. git is real.
/// </summary>
public sealed class TerraformExecutorTests : IDisposable
{
    private const string Secret = "ARM-CLIENT-SECRET-0123456789";

    private const string Script = """
        env | grep -E '^(TF_|ARM_)' | sort > "$state/env-$1.txt"
        case "$1" in
          init) echo "Terraform has been successfully initialized!";;
          plan)
            cp main.tf "$state/planned-main.tf"
            for a in "$@"; do case "$a" in -out=*) echo binary-plan > "${a#-out=}";; esac; done
            echo "Plan: 1 to add, 1 to change, 0 to destroy.";;
          show) cat "$state/plan.json";;
          apply)
            if [ -f "$state/apply-stderr" ]; then cat "$state/apply-stderr" >&2; exit 1; fi
            cp "$state/plan-after-apply.json" "$state/plan.json"
            echo "Apply complete! Resources: 1 added, 1 changed, 0 destroyed.";;
          *) echo "unexpected terraform command: $1" >&2; exit 64;;
        esac
        """;

    private readonly StandIn terraform = StandIn.Create("terraform", Script);
    private readonly GitRepository repository = GitRepository.Create();
    private readonly string workRoot = Path.Combine(Path.GetTempPath(), $"tf-work-{Guid.NewGuid():N}");
    private readonly string before;
    private readonly TerraformExecutor executor;

    public TerraformExecutorTests()
    {
        before = repository.Commit("checkout 1.4.2", ("infra/checkout/main.tf", "# checkout 1.4.2\n"));
        repository.Git("tag", "release-1.4.2");
        repository.Commit("checkout 1.4.3", ("infra/checkout/main.tf", "# checkout 1.4.3\n"));
        var options = new TerraformOptions
        {
            Path = terraform.Path,
            Workspaces = { ["platform"] = repository.Path },
            WorkRoot = workRoot,
            Environment = { ["ARM_CLIENT_SECRET"] = Secret },
        };
        executor = new TerraformExecutor(Options.Create(options), new ProcessRunner(new SecretRedactor(options.Secrets())));
        terraform.Write("plan-after-apply.json", Fixture("plan-no-changes.json"));
    }

    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "terraform", name));

    private static JsonObject Params(string previousRef = "release-1.4.2") => new()
    {
        ["workspace"] = "platform",
        ["path"] = "infra/checkout",
        ["previousRef"] = previousRef,
        ["vars"] = new JsonObject { ["image_tag"] = "1.4.2", ["replicas"] = 3 },
    };

    private async Task<StepRevertResult> RevertAsync(bool approved = false, StepPreparation? prepared = null)
    {
        prepared ??= await executor.PrepareAsync(new StepPrepareRequest("d1", "infra", "terraform", Params()), default);
        return await executor.RevertAsync(new StepRevertRequest("rb-d1", "d1", "infra", "terraform", Params(), "1.4.3", "1.4.2")
        {
            Captured = prepared.Captured,
            Approved = approved,
            WaitLimit = TimeSpan.FromMinutes(10),
        }, default);
    }

    [Fact]
    public async Task Prepare_PinsThePreviousRefToItsCommit()
    {
        var prepared = await executor.PrepareAsync(new StepPrepareRequest("d1", "infra", "terraform", Params()), default);

        Assert.Equal(before, (string?)prepared.Captured!["commit"]);
    }

    [Fact]
    public async Task Revert_PlansAndAppliesThePreviousCommit_InAWorktreeThatIsRemovedAfterwards()
    {
        terraform.Write("plan.json", Fixture("plan-update.json"));
        var prepared = await executor.PrepareAsync(new StepPrepareRequest("d1", "infra", "terraform", Params("release-1.4.2")), default);
        repository.Git("tag", "-f", "release-1.4.2", "HEAD"); // the tag moves after registration...

        var result = await RevertAsync(prepared: prepared);

        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Contains("1 to add, 1 to change, 0 to replace, 0 to destroy", result.Detail);
        Assert.Equal("# checkout 1.4.2\n", terraform.Read("planned-main.tf")); // ...the commit pinned at registration is what ran
        var calls = terraform.Calls;
        Assert.Equal(["init", "plan", "show", "apply"], calls.Select(c => c[1]));
        Assert.Equal(["plan", "-input=false", "-no-color", "-out=rollback.tfplan", "-var", "image_tag=1.4.2", "-var", "replicas=3"], calls[1][1..]);
        Assert.Equal(["apply", "-input=false", "-no-color", "-auto-approve", "rollback.tfplan"], calls[3][1..]);
        Assert.All(calls, c => Assert.StartsWith(workRoot, c[0]));
        Assert.All(calls, c => Assert.EndsWith("/infra/checkout", c[0]));
        Assert.Contains("TF_IN_AUTOMATION=1", terraform.Read("env-apply.txt"));
        Assert.Contains($"ARM_CLIENT_SECRET={Secret}", terraform.Read("env-apply.txt"));
        Assert.Empty(Directory.GetDirectories(workRoot));
        Assert.DoesNotContain("rb-d1", repository.Git("worktree", "list"));
    }

    [Fact]
    public async Task Revert_Twice_SecondPlanHasNoChanges_AndAppliesNothing()
    {
        terraform.Write("plan.json", Fixture("plan-update.json"));

        await RevertAsync();
        var second = await RevertAsync();

        Assert.Equal(RevertOutcome.Unchanged, second.Outcome);
        Assert.Contains("no changes", second.Detail);
        Assert.Single(terraform.Calls, c => c[1] == "apply");
    }

    [Fact]
    public async Task Revert_PlanReplacesAProtectedResource_WaitsForApprovalWithThePlan_ThenApplies()
    {
        terraform.Write("plan.json", Fixture("plan-replace-protected.json"));

        var asked = await RevertAsync();
        var approved = await RevertAsync(approved: true);

        Assert.Equal(RevertOutcome.NeedsApproval, asked.Outcome);
        Assert.Contains("replace azurerm_postgresql_flexible_server.checkout", asked.Detail);
        Assert.Contains("0 to add, 1 to change, 1 to replace, 0 to destroy", asked.Detail);
        Assert.Equal(RevertOutcome.Reverted, approved.Outcome);
        Assert.Single(terraform.Calls, c => c[1] == "apply");
        Assert.Empty(Directory.GetDirectories(workRoot));
    }

    [Fact]
    public async Task Revert_DeletingAnUnprotectedResource_NeedsNoApproval()
    {
        terraform.Write("plan.json", Fixture("plan-delete-unprotected.json"));

        var result = await RevertAsync();

        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Contains("1 to destroy", result.Detail);
    }

    [Fact]
    public async Task Revert_ApplyFails_FailsWithTerraformsWords_SecretsMasked_AndRemovesTheWorktree()
    {
        terraform.Write("plan.json", Fixture("plan-update.json"));
        terraform.Write("apply-stderr", $"Error: building account: client secret {Secret} was rejected (AADSTS7000215)");

        var result = await RevertAsync();

        Assert.Equal(RevertOutcome.Failed, result.Outcome);
        Assert.Contains("AADSTS7000215", result.Detail);
        Assert.DoesNotContain(Secret, result.Detail);
        Assert.Empty(Directory.GetDirectories(workRoot));
    }

    [Fact]
    public async Task Prepare_UnknownRef_IsRefusedAtRegistration()
    {
        var prepared = await executor.PrepareAsync(new StepPrepareRequest("d1", "infra", "terraform", Params("release-9.9.9")), default);

        Assert.False(prepared.Transient);
        Assert.Contains("has no commit 'release-9.9.9'", prepared.Problem);
    }

    [Theory]
    [InlineData("path", "../../etc", "params.path")]
    [InlineData("path", "/etc/terraform", "params.path")]
    [InlineData("path", "infra/./checkout", "params.path")]
    [InlineData("previousRef", "--upload-pack=touch /tmp/pwned", "params.previousRef")]
    [InlineData("previousRef", "main..evil", "params.previousRef")]
    [InlineData("previousRef", "$(reboot)", "params.previousRef")]
    [InlineData("workspace", "billing", "params.workspace 'billing' is not a configured workspace")]
    public void ValidateParams_HostileValues_AreRefused(string field, string value, string named)
    {
        var parameters = Params();
        parameters[field] = value;

        Assert.Contains(named, executor.ValidateParams(parameters));
    }

    [Fact]
    public void ValidateParams_VarsMustBePlainValues()
    {
        var parameters = Params();
        parameters["vars"] = new JsonObject { ["tags"] = new JsonObject { ["a"] = "b" } };

        Assert.Contains("params.vars", executor.ValidateParams(parameters));
    }

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
