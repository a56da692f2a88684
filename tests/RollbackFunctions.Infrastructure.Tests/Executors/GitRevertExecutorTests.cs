using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Infrastructure.Audit;
using RollbackFunctions.Infrastructure.Executors.Git;
using RollbackFunctions.Infrastructure.Executors.Processes;
using RollbackFunctions.Infrastructure.Notifications;

namespace RollbackFunctions.Infrastructure.Tests.Executors;

/// <summary>
/// <c>gitRevert</c> against real git: a bare repository made here stands in for the remote. The pull
/// request APIs of GitHub and Azure DevOps are stand-ins at the wire, answering with the shapes of
/// their documentation.
/// </summary>
public sealed class GitRevertExecutorTests : IDisposable
{
    private const string Token = "ghp_0123456789abcdefghijklmnopqrstuvwxyz";
    private readonly GitRepository work = GitRepository.Create();
    private readonly string remote = Path.Combine(Path.GetTempPath(), $"remote-{Guid.NewGuid():N}.git");
    private readonly string workRoot = Path.Combine(Path.GetTempPath(), $"git-work-{Guid.NewGuid():N}");
    private readonly ServiceProvider http;
    private readonly List<string> moved = [];
    private readonly string deployCommit;

    public GitRevertExecutorTests()
    {
        work.Commit("base", ("apps/payments.yaml", "image: payments:1.4.1\nreplicas: 3\n"), ("apps/cart.yaml", "image: cart:2.0.0\n"));
        deployCommit = work.Commit("deploy payments 1.4.2", ("apps/payments.yaml", "image: payments:1.4.2\nreplicas: 3\n"));
        work.Commit("unrelated", ("apps/cart.yaml", "image: cart:2.0.1\n"));
        work.Git("clone", "--quiet", "--bare", work.Path, remote);
        var services = new ServiceCollection();
        services.AddHttpClient(PullRequests.HttpClientName);
        http = services.BuildServiceProvider();
    }

    [Fact]
    public async Task Push_LeavesARevertCommitOnTheBranch_AndASecondRunChangesNothing()
    {
        var executor = Executor(new GitRepositoryOptions { Url = remote });
        var before = RemoteHead();

        var first = await executor.RevertAsync(Request("push"), default);
        var after = RemoteHead();
        var second = await executor.RevertAsync(Request("push"), default);

        Assert.Equal(RevertOutcome.Reverted, first.Outcome);
        Assert.Equal(before, Remote("rev-parse", $"{after}^").Trim()); // the revert sits on top of what was there
        Assert.Equal("image: payments:1.4.1\nreplicas: 3\n", Remote("show", $"{after}:apps/payments.yaml"));
        Assert.Equal("image: cart:2.0.1\n", Remote("show", $"{after}:apps/cart.yaml")); // later work kept
        Assert.Contains($"This reverts commit {deployCommit}", Remote("log", "-1", "--format=%B", after));
        Assert.Equal("RollbackFunctions", Remote("log", "-1", "--format=%an", after).Trim());
        Assert.Equal(RevertOutcome.Unchanged, second.Outcome);
        Assert.Contains("already reverted", second.Detail);
        Assert.Equal(after, RemoteHead());
        Assert.False(Directory.EnumerateFileSystemEntries(workRoot).Any()); // every clone removed
    }

    [Fact]
    public async Task Push_Conflict_IsDriftNamingThePaths_AndPushesNothing()
    {
        work.Commit("hotfix on top", ("apps/payments.yaml", "image: payments:1.4.3\nreplicas: 5\n"));
        work.Git("push", "--quiet", remote, "main");
        var before = RemoteHead();

        var result = await Executor(new GitRepositoryOptions { Url = remote }).RevertAsync(Request("push"), default);

        Assert.Equal(RevertOutcome.Drift, result.Outcome);
        Assert.Contains("apps/payments.yaml", result.Detail);
        Assert.Equal(before, RemoteHead());
    }

    [Fact]
    public async Task Rehearse_Conflict_IsFoundWithoutPushing_ACleanRevertIsOk()
    {
        var executor = Executor(new GitRepositoryOptions { Url = remote });
        var clean = await executor.RehearseAsync(Request("push"), default);
        work.Commit("hotfix on top", ("apps/payments.yaml", "image: payments:1.4.3\nreplicas: 5\n"));
        work.Git("push", "--quiet", remote, "main");
        var before = RemoteHead();
        var branches = Remote("branch", "--list");

        var conflicted = await executor.RehearseAsync(Request("pullRequest"), default);

        Assert.Equal(Core.Deploys.RehearsalOutcome.Ok, clean.Outcome);
        Assert.Equal(Core.Deploys.RehearsalOutcome.Fails, conflicted.Outcome);
        Assert.Contains("conflicts in apps/payments.yaml", conflicted.Detail);
        Assert.Equal(before, RemoteHead()); // nothing pushed, no rollback branch
        Assert.Equal(branches, Remote("branch", "--list"));
        Assert.False(Directory.EnumerateFileSystemEntries(workRoot).Any());
    }

    [Fact]
    public async Task Push_ConflictApprovedOverDrift_RevertsKeepingThePreDeploySide()
    {
        work.Commit("hotfix on top", ("apps/payments.yaml", "image: payments:1.4.3\nreplicas: 5\n"));
        work.Git("push", "--quiet", remote, "main");
        var before = RemoteHead();

        var result = await Executor(new GitRepositoryOptions { Url = remote }).RevertAsync(Request("push") with { OverrideDrift = true }, default);

        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Equal(before, Remote("rev-parse", "main^").Trim());
        Assert.Equal("image: payments:1.4.1\nreplicas: 3\n", Remote("show", "main:apps/payments.yaml"));
    }

    [Fact]
    public async Task PullRequest_GitHub_PushesTheRollbackBranchAndOpensOneRequest_EvenWhenRetried()
    {
        var opened = new List<JsonObject>();
        await using var github = await StubServer.StartAsync(request =>
        {
            if (request.Method == "GET")
            {
                return new StubReply(200, opened.Count == 0 ? "[]" : """[{"number": 7, "html_url": "https://github.com/acme/deploy-config/pull/7"}]""");
            }

            opened.Add(JsonNode.Parse(request.Body)!.AsObject());
            return new StubReply(201, """{"number": 7, "html_url": "https://github.com/acme/deploy-config/pull/7"}""");
        });
        // The clone URL is the bare repository; its last two segments name owner and repository for the API.
        var acme = Path.Combine(Path.GetTempPath(), $"acme-{Guid.NewGuid():N}", "deploy-config.git");
        Directory.CreateDirectory(Path.GetDirectoryName(acme)!);
        Directory.Move(remote, acme);
        moved.Add(Path.GetDirectoryName(acme)!);
        var executor = Executor(new GitRepositoryOptions { Url = acme, Token = Token, ApiUrl = github.BaseUrl });

        var first = await executor.RevertAsync(Request("pullRequest"), default);
        var retried = await executor.RevertAsync(Request("pullRequest"), default);

        Assert.Equal(RevertOutcome.Reverted, first.Outcome);
        Assert.Contains("https://github.com/acme/deploy-config/pull/7", first.Detail);
        Assert.Contains("already pushed", retried.Detail);
        var body = Assert.Single(opened);
        Assert.Equal(("rollback/rb-pay-9", "main"), (body["head"]!.GetValue<string>(), body["base"]!.GetValue<string>()));
        Assert.Contains("/api/rollbacks/rb-pay-9", body["body"]!.GetValue<string>());
        var post = github.Requests.First(r => r.Method == "POST");
        Assert.Equal("/repos/" + Path.GetFileName(Path.GetDirectoryName(acme)) + "/deploy-config/pulls", post.PathAndQuery);
        Assert.Equal($"Bearer {Token}", post.Headers["Authorization"]);
        var reverted = new GitRepository.Bare(acme).Git("show", "rollback/rb-pay-9:apps/payments.yaml");
        Assert.Equal("image: payments:1.4.1\nreplicas: 3\n", reverted);
        Assert.NotEqual(new GitRepository.Bare(acme).Git("rev-parse", "main"), new GitRepository.Bare(acme).Git("rev-parse", "rollback/rb-pay-9")); // main untouched
    }

    /// <summary>What GitHub's branch protection answers a direct push, as a pre-receive hook on the bare remote.</summary>
    private static void ProtectMain(string bare)
    {
        var hook = Path.Combine(bare, "hooks", "pre-receive");
        File.WriteAllText(hook, """
            #!/bin/sh
            while read old new ref; do
              if [ "$ref" = "refs/heads/main" ]; then
                echo "error: GH006: Protected branch update failed for refs/heads/main." >&2
                echo "error: Changes must be made through a pull request." >&2
                exit 1
              fi
            done
            """);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public async Task Push_RefusedByBranchProtection_IsAPermanentRefusal_NotRetried()
    {
        ProtectMain(remote);
        var before = RemoteHead();

        var result = await Executor(new GitRepositoryOptions { Url = remote }).RevertAsync(Request("push"), default);

        Assert.Equal(RevertOutcome.Failed, result.Outcome);
        Assert.Contains("protected", result.Detail);
        Assert.Equal(before, RemoteHead());
    }

    [Fact]
    public async Task Push_RefusedByBranchProtection_WithFallbackPullRequest_OpensAPullRequestInstead()
    {
        await using var github = await StubServer.StartAsync(request => request.Method == "GET"
            ? new StubReply(200, "[]")
            : new StubReply(201, """{"number": 8, "html_url": "https://github.com/acme/deploy-config/pull/8"}"""));
        var acme = Path.Combine(Path.GetTempPath(), $"acme-{Guid.NewGuid():N}", "deploy-config.git");
        Directory.CreateDirectory(Path.GetDirectoryName(acme)!);
        Directory.Move(remote, acme);
        moved.Add(Path.GetDirectoryName(acme)!);
        ProtectMain(acme);
        var request = Request("push");
        request.Params["fallback"] = "pullRequest";

        var result = await Executor(new GitRepositoryOptions { Url = acme, Token = Token, ApiUrl = github.BaseUrl }).RevertAsync(request, default);

        Assert.True(result.Outcome == RevertOutcome.Reverted, result.Detail);
        Assert.Contains("https://github.com/acme/deploy-config/pull/8", result.Detail);
        Assert.Contains("protected", result.Detail);
        Assert.Equal("image: payments:1.4.1\nreplicas: 3\n", new GitRepository.Bare(acme).Git("show", "rollback/rb-pay-9:apps/payments.yaml"));
        Assert.Single(github.Requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task PullRequest_AzureDevOps_UsesItsPullRequestApi()
    {
        await using var devops = await StubServer.StartAsync(request => request.Method == "GET"
            ? new StubReply(200, """{"value": [], "count": 0}""")
            : new StubReply(201, """{"pullRequestId": 42, "status": "active"}"""));
        var shop = Path.Combine(Path.GetTempPath(), $"ado-{Guid.NewGuid():N}", "acme", "shop", "_git", "deploy-config");
        Directory.CreateDirectory(Path.GetDirectoryName(shop)!);
        Directory.Move(remote, shop);
        moved.Add(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(shop)!)!)!)!);
        var executor = Executor(new GitRepositoryOptions { Url = "file://" + shop, Token = "pat", Provider = GitProvider.AzureDevOps, ApiUrl = devops.BaseUrl });

        var result = await executor.RevertAsync(Request("pullRequest"), default);

        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Contains("/acme/shop/_git/deploy-config/pullrequest/42", result.Detail);
        var post = devops.Requests.Single(r => r.Method == "POST");
        Assert.Equal("/shop/_apis/git/repositories/deploy-config/pullrequests?api-version=7.1", post.PathAndQuery);
        var body = JsonNode.Parse(post.Body)!;
        Assert.Equal(("refs/heads/rollback/rb-pay-9", "refs/heads/main"), (body["sourceRefName"]!.GetValue<string>(), body["targetRefName"]!.GetValue<string>()));
        Assert.StartsWith("Basic ", post.Headers["Authorization"]);
    }

    [Theory]
    [InlineData("""{"repository":"config","commit":"xyz","branch":"main"}""", "params.commit")]
    [InlineData("""{"repository":"config","commit":"abcdef1","branch":"--upload-pack=x"}""", "params.branch")]
    [InlineData("""{"repository":"other","commit":"abcdef1","branch":"main"}""", "not a configured repository")]
    [InlineData("""{"repository":"config","commit":"abcdef1","branch":"main","mode":"force"}""", "params.mode")]
    [InlineData("""{"repository":"config","commit":"abcdef1","branch":"main","mode":"push","fallback":"force"}""", "params.fallback")]
    public void ValidateParams_Hostile_IsRefused(string json, string expected) =>
        Assert.Contains(expected, Executor(new GitRepositoryOptions { Url = remote }).ValidateParams(JsonNode.Parse(json)!.AsObject()));

    private GitRevertExecutor Executor(GitRepositoryOptions repository) => new(
        Options.Create(new GitOptions { WorkRoot = workRoot, Repositories = { ["config"] = repository } }),
        new ProcessRunner(new SecretRedactor([Token])),
        new PullRequests(http.GetRequiredService<IHttpClientFactory>()),
        Options.Create(new NotificationOptions()));

    private StepRevertRequest Request(string mode) => new(
        "rb-pay-9", "pay-9", "config", "gitRevert",
        new JsonObject { ["repository"] = "config", ["commit"] = deployCommit[..10], ["branch"] = "main", ["mode"] = mode },
        "1.4.2", "1.4.1");

    private string RemoteHead() => Remote("rev-parse", "main").Trim();

    private string Remote(params string[] arguments) => new GitRepository.Bare(remote).Git(arguments);

    public void Dispose()
    {
        http.Dispose();
        work.Dispose();
        foreach (var directory in moved.Append(remote).Append(workRoot).Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
            {
                File.SetAttributes(file, FileAttributes.Normal);
            }

            Directory.Delete(directory, recursive: true);
        }
    }
}
