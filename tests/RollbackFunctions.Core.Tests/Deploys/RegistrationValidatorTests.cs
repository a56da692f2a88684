using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Tests.TestDoubles;

namespace RollbackFunctions.Core.Tests.Deploys;

public sealed class RegistrationValidatorTests
{
    private readonly RegistrationValidator validator = new(new StepExecutorCatalog([new ScriptedExecutor()]), [new ScriptedMetricSource()]);

    [Fact]
    public void Validate_Diamond_HasNoProblems() => Assert.Empty(validator.Validate(Registration()));

    [Fact]
    public void Validate_UnknownKind_NamesTheKnownKinds()
    {
        var problems = validator.Validate(Registration(Step("a") with { Kind = "helm3" }));

        Assert.Contains("unknown step kind 'helm3'; known kinds: webhook", problems["steps[0].kind"][0]);
    }

    [Fact]
    public void Validate_DependsOnMissingStep_IsAProblem() =>
        Assert.Contains("names a missing step 'ghost'", validator.Validate(Registration(Step("a", "ghost")))["steps[0].dependsOn"][0]);

    [Fact]
    public void Validate_Cycle_NamesTheStepsOnIt()
    {
        var problems = validator.Validate(Registration(Step("a", "c"), Step("b", "a"), Step("c", "b")));

        var message = Assert.Single(problems["steps"]);
        Assert.Contains("dependency cycle:", message);
        Assert.All(new[] { "a", "b", "c" }, id => Assert.Contains(id, message));
    }

    [Fact]
    public void Validate_SelfDependency_IsAProblem() =>
        Assert.Contains("itself", validator.Validate(Registration(Step("a", "a")))["steps[0].dependsOn"][0]);

    [Fact]
    public void Validate_DuplicateStepIds_IsAProblem() =>
        Assert.Contains("duplicate", validator.Validate(Registration(Step("a"), Step("a")))["steps[1].id"][0]);

    [Fact]
    public void Validate_NoSteps_IsAProblem() => Assert.Contains("steps", validator.Validate(Registration()with { Steps = [] }).Keys);

    [Theory]
    [InlineData("has space")]
    [InlineData("slash/y")]
    [InlineData("-leading")]
    [InlineData("")]
    public void Validate_DeployIdUnfitForAKey_IsAProblem(string id) =>
        Assert.Contains("deployId", validator.Validate(Registration() with { DeployId = id }).Keys);

    [Fact]
    public void Validate_ExecutorRejectsParams_ReportsItsMessage() =>
        Assert.Contains("revertUrl", validator.Validate(Registration(Step("a") with { Params = [] }))["steps[0].params"][0]);

    [Fact]
    public void Validate_ManualStep_NeedsNoExecutorParams() =>
        Assert.Empty(validator.Validate(Registration(Step("a") with { Params = [], Revert = new RevertRegistration { Mode = RevertMode.Manual } })));

    [Fact]
    public void Validate_EmptyServiceAndNegativeWatch_ReportsBoth()
    {
        var problems = validator.Validate(Registration() with { Service = " ", WatchMinutes = -1 });

        Assert.Contains("service", problems.Keys);
        Assert.Contains("watchMinutes", problems.Keys);
    }

    private static StepRegistration Step(string id, params string[] dependsOn) => new()
    {
        Id = id,
        Kind = "webhook",
        DependsOn = [.. dependsOn],
        Params = new JsonObject { ["revertUrl"] = "http://127.0.0.1/x" },
    };

    [Theory]
    [InlineData("argocd", "prod", "argocd", "payments-api", null, null)]
    [InlineData("flux", "prod", "flux-system", "payments", "HelmRelease", null)]
    [InlineData("jenkins", "prod", "argocd", "payments-api", null, "gitops[0].controller")]
    [InlineData("flux", "prod", "flux-system", "payments", null, "gitops[0].kind")]
    [InlineData("argocd", "prod", "../argocd", "payments-api", null, "gitops[0].namespace")]
    [InlineData("argocd", "Prod; rm", "argocd", "payments-api", null, "gitops[0].cluster")]
    public void Validate_GitOpsTargets_AreNamedKubernetesObjectsOfAKnownController(string controller, string cluster, string ns, string name, string? kind, string? problem)
    {
        var problems = validator.Validate(Registration() with { Gitops = [new GitOpsTarget(controller, cluster, ns, name, kind)] });

        if (problem is null)
        {
            Assert.Empty(problems);
        }
        else
        {
            Assert.Contains(problem, problems.Keys);
        }
    }

    [Fact]
    public void Validate_GitOpsClusterOrManagedClusterNotConfigured_IsAProblemAtThatField()
    {
        var configured = new RegistrationValidator(new StepExecutorCatalog([new ScriptedExecutor()]), [new ScriptedMetricSource()], new OnlyClusters("mgmt", "prod"));

        var problems = configured.Validate(Registration() with
        {
            Gitops = [new GitOpsTarget("argocd", "mgmt", "argocd", "payments-api", Manages: ["prod", "mars"]), new GitOpsTarget("argocd", "staging", "argocd", "payments-api")],
        });

        Assert.Equal(["gitops[0].manages", "gitops[1].cluster"], problems.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("'mars'", problems["gitops[0].manages"][0]);
        Assert.Contains("manages", validator.Validate(Registration() with { Gitops = [new GitOpsTarget("argocd", "prod", "argocd", "a", Manages: ["Prod; rm"])] }).Keys.Single());
    }

    /// <summary>A deployment with these clusters configured; holds are not what these tests are about.</summary>
    private sealed class OnlyClusters(params string[] configured) : RollbackFunctions.Core.Ports.IGitOpsControllers
    {
        public Task<GitOpsOutcome> HoldAsync(GitOpsTarget target, string rollbackId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<GitOpsOutcome> ResumeAsync(GitOpsTarget target, string rollbackId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public IReadOnlyDictionary<string, string> Validate(GitOpsTarget target)
        {
            var problems = new Dictionary<string, string>();
            if (!configured.Contains(target.Cluster))
            {
                problems["cluster"] = $"'{target.Cluster}' is not a configured cluster";
            }

            if ((target.Manages ?? []).Except(configured).ToList() is { Count: > 0 } unknown)
            {
                problems["manages"] = $"not configured: {string.Join(", ", unknown.Select(c => $"'{c}'"))}";
            }

            return problems;
        }
    }

    private static DeployRegistration Registration(params StepRegistration[] steps) => new()
    {
        DeployId = "checkout-142",
        Service = "checkout",
        Environment = "prod",
        Version = "1.4.2",
        Steps = steps.Length > 0 ? [.. steps] : [Step("schema"), Step("config", "schema"), Step("flags", "schema"), Step("rollout", "config", "flags")],
    };
}
