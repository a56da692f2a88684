using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Infrastructure.Executors.Git;

/// <summary>A pull request to open: from <paramref name="Head"/> into <paramref name="Base"/>.</summary>
public sealed record PullRequest(string Head, string Base, string Title, string Body);

/// <summary>
/// Opens pull requests through the provider's REST API (GitHub: <c>POST /repos/{owner}/{repo}/pulls</c>;
/// Azure DevOps: <c>POST {org}/{project}/_apis/git/repositories/{repo}/pullrequests</c>), after
/// looking for one from the same branch first, so a retried revert finds the request it opened.
/// Returns the pull request's web URL.
/// </summary>
public sealed class PullRequests(IHttpClientFactory clients)
{
    public const string HttpClientName = "git-provider";

    public Task<string> OpenAsync(GitRepositoryOptions repository, PullRequest request, CancellationToken cancellationToken) =>
        repository.Provider == GitProvider.AzureDevOps
            ? OpenOnAzureDevOpsAsync(repository, request, cancellationToken)
            : OpenOnGitHubAsync(repository, request, cancellationToken);

    private async Task<string> OpenOnGitHubAsync(GitRepositoryOptions repository, PullRequest request, CancellationToken cancellationToken)
    {
        var segments = new Uri(repository.Url).AbsolutePath.Trim('/').Split('/');
        var (owner, name) = (segments[^2], segments[^1].EndsWith(".git", StringComparison.Ordinal) ? segments[^1][..^4] : segments[^1]);
        var api = $"{(repository.ApiUrl ?? "https://api.github.com").TrimEnd('/')}/repos/{owner}/{name}/pulls";

        async Task<string?> ExistingAsync()
        {
            using var find = Authorized(HttpMethod.Get, $"{api}?state=all&head={Uri.EscapeDataString($"{owner}:{request.Head}")}", repository, bearer: true);
            var found = await SendAsync(find, cancellationToken);
            return found?.AsArray().FirstOrDefault()?["html_url"]?.GetValue<string>();
        }

        if (await ExistingAsync() is { } existing)
        {
            return existing;
        }

        using var open = Authorized(HttpMethod.Post, api, repository, bearer: true);
        open.Content = JsonContent.Create(new { title = request.Title, head = request.Head, @base = request.Base, body = request.Body });
        using var reply = await Client.SendAsync(open, cancellationToken);
        if (reply.StatusCode == HttpStatusCode.UnprocessableEntity && await ExistingAsync() is { } raced)
        {
            return raced; // a retried POST whose first attempt went through
        }

        return (await ReadAsync(reply, "GitHub", cancellationToken))?["html_url"]?.GetValue<string>()
            ?? throw new StepUnavailableException("GitHub answered without the pull request's html_url");
    }

    private async Task<string> OpenOnAzureDevOpsAsync(GitRepositoryOptions repository, PullRequest request, CancellationToken cancellationToken)
    {
        // https://dev.azure.com/{organization}/{project}/_git/{repository}
        var url = new Uri(repository.Url);
        var segments = url.AbsolutePath.Trim('/').Split('/');
        var gitAt = Array.IndexOf(segments, "_git");
        if (gitAt < 2 || gitAt + 1 >= segments.Length)
        {
            throw new InvalidOperationException($"{repository.Url} is not an Azure DevOps repository URL (…/{{organization}}/{{project}}/_git/{{repository}})");
        }

        var organization = $"{url.GetLeftPart(UriPartial.Authority)}/{string.Join('/', segments[..(gitAt - 1)])}";
        var (project, name) = (segments[gitAt - 1], segments[gitAt + 1]);
        var api = $"{(repository.ApiUrl ?? organization).TrimEnd('/')}/{project}/_apis/git/repositories/{name}/pullrequests";
        var web = $"{organization}/{project}/_git/{name}/pullrequest/";

        using var find = Authorized(HttpMethod.Get, $"{api}?searchCriteria.sourceRefName={Uri.EscapeDataString("refs/heads/" + request.Head)}&searchCriteria.status=all&api-version=7.1", repository, bearer: false);
        if ((await SendAsync(find, cancellationToken))?["value"]?.AsArray().FirstOrDefault()?["pullRequestId"] is { } existing)
        {
            return web + existing;
        }

        using var open = Authorized(HttpMethod.Post, $"{api}?api-version=7.1", repository, bearer: false);
        open.Content = JsonContent.Create(new { sourceRefName = "refs/heads/" + request.Head, targetRefName = "refs/heads/" + request.Base, title = request.Title, description = request.Body });
        var created = await SendAsync(open, cancellationToken);
        return created?["pullRequestId"] is { } id ? web + id : throw new StepUnavailableException("Azure DevOps answered without the pull request's id");
    }

    private HttpClient Client => clients.CreateClient(HttpClientName);

    private static HttpRequestMessage Authorized(HttpMethod method, string url, GitRepositoryOptions repository, bool bearer)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("RollbackFunctions", "1"));
        if (!string.IsNullOrEmpty(repository.Token))
        {
            request.Headers.Authorization = bearer
                ? new AuthenticationHeaderValue("Bearer", repository.Token)
                : new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(":" + repository.Token)));
        }

        if (bearer)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
            request.Headers.Add("X-GitHub-Api-Version", "2022-11-28");
        }

        return request;
    }

    private async Task<JsonNode?> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var reply = await Client.SendAsync(request, cancellationToken);
        return await ReadAsync(reply, request.RequestUri!.Host, cancellationToken);
    }

    /// <summary>5xx and 429 are worth another attempt (thrown as unavailable); other refusals are the answer.</summary>
    private static async Task<JsonNode?> ReadAsync(HttpResponseMessage reply, string provider, CancellationToken cancellationToken)
    {
        var text = await reply.Content.ReadAsStringAsync(cancellationToken);
        if (reply.IsSuccessStatusCode)
        {
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }

        var detail = $"{provider} answered {(int)reply.StatusCode}: {(text.Length <= 300 ? text : text[..300] + "…")}";
        throw (int)reply.StatusCode is >= 500 or 429 ? new StepUnavailableException(detail) : new InvalidOperationException(detail);
    }
}
