using System.ComponentModel.DataAnnotations;

namespace RollbackFunctions.Infrastructure.Executors.Git;

/// <summary><c>Rollback:Executors:Git</c>: the repositories <c>gitRevert</c> steps may revert in, by name.</summary>
public sealed class GitOptions : IValidatableObject
{
    /// <summary>Absolute path of git.</summary>
    public string Path { get; set; } = "/usr/bin/git";

    /// <summary>Where clones are made; each is removed when its revert ends.</summary>
    public string WorkRoot { get; set; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rollback-git");

    /// <summary>One git command (a clone of a large repository included).</summary>
    [Range(typeof(TimeSpan), "00:00:05", "00:30:00")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Pushes to a branch that moved meanwhile are retried this often, after a fetch and rebase.</summary>
    [Range(1, 10)]
    public int PushAttempts { get; set; } = 3;

    public Dictionary<string, GitRepositoryOptions> Repositories { get; init; } = new(StringComparer.Ordinal);

    public IEnumerable<string?> Secrets() => Repositories.Values.Select(r => r.Token);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, repository) in Repositories)
        {
            if (!Uri.TryCreate(repository.Url, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http" or "file") || url.UserInfo.Length > 0)
            {
                yield return new ValidationResult($"Rollback:Executors:Git:Repositories:{name}:Url must be an https (or file) URL without credentials; the token goes in Token");
            }

            if (repository.ApiUrl is { Length: > 0 } api && !(Uri.TryCreate(api, UriKind.Absolute, out var apiUrl) && apiUrl.Scheme is "https" or "http"))
            {
                yield return new ValidationResult($"Rollback:Executors:Git:Repositories:{name}:ApiUrl must be an absolute http(s) URL");
            }
        }
    }
}

/// <summary>Where pull requests are opened.</summary>
public enum GitProvider
{
    GitHub,
    AzureDevOps,
}

/// <summary>One repository.</summary>
public sealed class GitRepositoryOptions
{
    /// <summary>Clone URL, e.g. <c>https://github.com/acme/deploy-config.git</c> or <c>https://dev.azure.com/acme/shop/_git/deploy-config</c>.</summary>
    public string Url { get; set; } = "";

    /// <summary>
    /// GitHub: a fine-grained token with contents read/write (push) and pull requests read/write on
    /// this repository only. Azure DevOps: a PAT with Code (read, write). Key Vault in Azure.
    /// </summary>
    public string? Token { get; set; }

    public GitProvider Provider { get; set; } = GitProvider.GitHub;

    /// <summary>Author and committer of revert commits, <c>Name &lt;email&gt;</c>.</summary>
    public string Author { get; set; } = "RollbackFunctions <rollback@localhost>";

    /// <summary>The provider's REST API, when not the public one (GitHub Enterprise, a stand-in in tests).</summary>
    public string? ApiUrl { get; set; }

    /// <summary>
    /// <c>Rollback:Executors:Git:Repositories:&lt;name&gt;:Environments</c>: the environments whose deploys may
    /// revert commits here. Empty: every environment while none are declared, none once they are.
    /// </summary>
    public List<string> Environments { get; set; } = [];
}
