using System.Text;
using System.Text.RegularExpressions;

namespace RollbackFunctions.Integration.Tests.Docs;

/// <summary>
/// Reads a Markdown page as GitHub renders it, for what a link check needs: the anchors its headings
/// get and the relative links it holds. Fenced code and inline code are not Markdown, so neither
/// counts.
/// </summary>
internal static partial class MarkdownLinks
{
    /// <summary>The anchors GitHub gives the page's headings (and any explicit <c>id</c>/<c>name</c> anchors).</summary>
    public static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in Prose(markdown))
        {
            if (Heading().Match(line) is { Success: true } heading)
            {
                var slug = Slug(heading.Groups["text"].Value);
                var count = seen.GetValueOrDefault(slug);
                seen[slug] = count + 1;
                anchors.Add(count == 0 ? slug : $"{slug}-{count}");
            }

            foreach (Match explicitAnchor in HtmlAnchor().Matches(line))
            {
                anchors.Add(explicitAnchor.Groups["id"].Value);
            }
        }

        return anchors;
    }

    /// <summary>
    /// GitHub's heading slug: the heading's text as rendered (inline code and links keep their text),
    /// lower case, with everything but letters, digits, spaces, hyphens and underscores removed and
    /// each space a hyphen; a repeated slug gets <c>-1</c>, <c>-2</c>, ...
    /// </summary>
    public static string Slug(string heading)
    {
        var text = InlineLink().Replace(heading, "${text}").Replace("`", "", StringComparison.Ordinal);
        var slug = new StringBuilder();
        foreach (var c in text.Trim().ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_')
            {
                slug.Append(c);
            }
            else if (c == ' ')
            {
                slug.Append('-');
            }
        }

        return slug.ToString();
    }

    /// <summary>Link and image targets that stay in the repository (no scheme), as written.</summary>
    public static IEnumerable<string> RelativeTargets(string markdown) =>
        Prose(markdown)
            .Select(line => CodeSpan().Replace(line, ""))
            .SelectMany(line => InlineLink().Matches(line).Select(m => m.Groups["target"].Value))
            .Where(target => !Scheme().IsMatch(target));

    /// <summary>The page's lines outside fenced code blocks.</summary>
    private static IEnumerable<string> Prose(string markdown)
    {
        var fenced = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
                continue;
            }

            if (!fenced)
            {
                yield return line;
            }
        }
    }

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.*?)\s*#*\s*$")]
    private static partial Regex Heading();

    [GeneratedRegex("""<a\s+(?:id|name)="(?<id>[^"]+)"\s*/?>""")]
    private static partial Regex HtmlAnchor();

    // [text](target "title"), ![alt](target): the target is what must resolve.
    [GeneratedRegex("""!?\[(?<text>[^\]]*)\]\((?<target>[^)\s]+)(?:\s+"[^"]*")?\)""")]
    private static partial Regex InlineLink();

    [GeneratedRegex("`+[^`]*`+")]
    private static partial Regex CodeSpan();

    [GeneratedRegex("^[a-zA-Z][a-zA-Z0-9+.-]*:")]
    private static partial Regex Scheme();
}
