using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace RollbackFunctions.Api.Http;

/// <summary>
/// <c>GET /api/ui</c>: the read-only ops page, one HTML file embedded in this assembly. It holds no
/// data, so it is served without a key; its script reads the JSON API with the key the operator
/// enters. The content security policy allows exactly its own inline script and style (by hash)
/// and requests to this origin.
/// </summary>
public static class OpsPage
{
    private static readonly Lazy<(string Html, string Policy)> Page = new(Load);

    public static IResult Serve(HttpRequest request)
    {
        var headers = request.HttpContext.Response.Headers;
        headers.ContentSecurityPolicy = Page.Value.Policy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        return Results.Content(Page.Value.Html, "text/html; charset=utf-8");
    }

    private static (string Html, string Policy) Load()
    {
        using var stream = typeof(OpsPage).Assembly.GetManifestResourceStream("RollbackFunctions.Api.Http.OpsPage.html")
            ?? throw new InvalidOperationException("the ops page is not embedded in the assembly");
        var html = new StreamReader(stream, Encoding.UTF8).ReadToEnd();
        var policy = $"default-src 'none'; script-src {HashOf(html, "script")}; style-src {HashOf(html, "style")}; "
            + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        return (html, policy);
    }

    /// <summary>The CSP source of the page's one inline element of <paramref name="tag"/>.</summary>
    private static string HashOf(string html, string tag)
    {
        var start = html.IndexOf($"<{tag}>", StringComparison.Ordinal) + tag.Length + 2;
        var end = html.IndexOf($"</{tag}>", start, StringComparison.Ordinal);
        return $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(html[start..end])))}'";
    }
}
