using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace RollbackFunctions.Api.Http;

/// <summary>
/// <c>GET /api/ui</c>: the read-only ops page, one HTML file embedded in this assembly. It holds no
/// data, so it is served without a key; its script reads the JSON API with the key the operator
/// enters. The content security policy allows exactly its own inline script and style (by hash)
/// and requests to this origin. Views that live in their own file (<c>OpsPage.Impact.js</c>) are
/// added to the page as inline scripts of their own, each allowed by its hash.
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

    /// <summary>The views in files of their own, loaded before the page's script calls them.</summary>
    private static readonly string[] Views = ["OpsPage.Impact.js"];

    private static (string Html, string Policy) Load()
    {
        var html = Resource("OpsPage.html");
        var views = string.Concat(Views.Select(view => $"<script>\n{Resource(view)}</script>\n"));
        html = html.Replace("</head>", views + "</head>", StringComparison.Ordinal);
        var policy = $"default-src 'none'; script-src {HashOf(html, "script")}; style-src {HashOf(html, "style")}; "
            + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        return (html, policy);
    }

    private static string Resource(string name)
    {
        using var stream = typeof(OpsPage).Assembly.GetManifestResourceStream($"RollbackFunctions.Api.Http.{name}")
            ?? throw new InvalidOperationException($"{name} is not embedded in the assembly");
        return new StreamReader(stream, Encoding.UTF8).ReadToEnd();
    }

    /// <summary>The CSP sources of the page's inline elements of <paramref name="tag"/>, one hash each.</summary>
    private static string HashOf(string html, string tag)
    {
        var hashes = new List<string>();
        for (var at = html.IndexOf($"<{tag}>", StringComparison.Ordinal); at >= 0; at = html.IndexOf($"<{tag}>", at, StringComparison.Ordinal))
        {
            var start = at + tag.Length + 2;
            var end = html.IndexOf($"</{tag}>", start, StringComparison.Ordinal);
            hashes.Add($"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(html[start..end])))}'");
            at = end;
        }

        return string.Join(' ', hashes);
    }
}
