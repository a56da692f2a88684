using System.Text.RegularExpressions;
using RollbackFunctions.Integration.Tests.Kit;

namespace RollbackFunctions.Integration.Tests.Docs;

/// <summary>
/// The documentation a newcomer walks holds together: every relative link and anchor in README and
/// <c>docs/</c> resolves as GitHub renders it, and every configuration key the code reads is on
/// <c>docs/configuration.md</c>. No runtime: files and reflection only.
/// </summary>
public sealed partial class DocumentationTests
{
    private static readonly string ConfigurationPage = Path.Combine(Repo.Root, "docs", "configuration.md");

    private static IEnumerable<string> Pages() =>
        Directory.EnumerateFiles(Path.Combine(Repo.Root, "docs"), "*.md").Prepend(Path.Combine(Repo.Root, "README.md"));

    [Fact]
    public void EveryRelativeLinkAndAnchor_Resolves()
    {
        var anchors = new Dictionary<string, HashSet<string>>();
        HashSet<string> AnchorsOf(string page) =>
            anchors.TryGetValue(page, out var known) ? known : anchors[page] = MarkdownLinks.Anchors(File.ReadAllText(page));

        var broken = new List<string>();
        foreach (var page in Pages())
        {
            foreach (var target in MarkdownLinks.RelativeTargets(File.ReadAllText(page)))
            {
                var (file, anchor) = target.IndexOf('#') is var hash and >= 0 ? (target[..hash], target[(hash + 1)..]) : (target, "");
                var resolved = file.Length == 0 ? page : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, Uri.UnescapeDataString(file)));
                if (!File.Exists(resolved) && !Directory.Exists(resolved))
                {
                    broken.Add($"{Path.GetRelativePath(Repo.Root, page)}: {target} (no such file)");
                }
                else if (anchor.Length > 0 && resolved.EndsWith(".md", StringComparison.Ordinal) && !AnchorsOf(resolved).Contains(anchor))
                {
                    broken.Add($"{Path.GetRelativePath(Repo.Root, page)}: {target} (no such heading in {Path.GetFileName(resolved)})");
                }
            }
        }

        Assert.True(broken.Count == 0, "broken links:\n" + string.Join('\n', broken));
    }

    [Fact]
    public void Slugs_FollowGitHub()
    {
        Assert.Equal("rollback-plan-rehearsal-and-readiness", MarkdownLinks.Slug("Rollback plan, rehearsal and readiness"));
        Assert.Equal("divergence-and-burn-rate-the-statistics", MarkdownLinks.Slug("Divergence and burn rate: the statistics"));
        Assert.Equal("step-kinds-in-azure", MarkdownLinks.Slug("Step kinds in `Azure`"));
        Assert.Equal("gitrevert-steps", MarkdownLinks.Slug("[`gitRevert`](x.md) steps"));
        Assert.Equal(["a", "a-1", "b"], MarkdownLinks.Anchors("# A\n```\n# not a heading\n```\n## A\n### B").Order());
    }

    [Fact]
    public void EveryOptionsType_IsBoundToASectionThisTestCanSee()
    {
        var sections = BoundConfiguration.Sections();

        Assert.Contains(sections, s => s.Value == "Rollback:Storage");
        Assert.Contains(sections, s => s.Value == "Rollback:Durable");
        // An options type bound some other way would have its keys missed below: bind it through
        // AddOptions<T>().Bind(section) or give it a 'public const string Section'.
        Assert.Empty(BoundConfiguration.Unreached(sections).Select(t => t.FullName));
    }

    [Fact]
    public void EveryConfigurationKeyTheCodeReads_IsOnTheConfigurationPage()
    {
        var documented = DocumentedKeys(File.ReadAllText(ConfigurationPage));
        var read = BoundConfiguration.OptionKeys(BoundConfiguration.Sections()).Concat(BoundConfiguration.KeysReadByName());

        var missing = read.Where(key => !documented.Any(pattern => pattern.IsMatch(key))).Distinct().Order(StringComparer.Ordinal).ToList();

        Assert.True(missing.Count == 0, "keys the code reads that docs/configuration.md does not list:\n" + string.Join('\n', missing));
    }

    [Fact]
    public async Task EverySettingTheAzureTemplateWrites_IsOnTheConfigurationPage()
    {
        var documented = DocumentedKeys(File.ReadAllText(ConfigurationPage));
        var template = await CompiledTemplate.BuildAsync();

        var missing = template.AppSettings().Keys
            .Where(name => name.StartsWith("Rollback__", StringComparison.Ordinal))
            .Select(name => name.Replace("__", ":", StringComparison.Ordinal))
            .Where(key => !documented.Any(pattern => pattern.IsMatch(key)))
            .ToList();

        Assert.True(missing.Count == 0, "settings infra/ writes that docs/configuration.md does not list:\n" + string.Join('\n', missing));
    }

    [Fact]
    public void DocumentedKeys_MatchNamesAndIndexes()
    {
        var documented = DocumentedKeys("| `Rollback:Auth:Keys:<name>:Secret` | `Rollback:Executors:Terraform:ProtectedTypes:N` | `Rollback:Policy:*` |");

        Assert.Contains(documented, p => p.IsMatch("Rollback:Auth:Keys:<name>:Secret"));
        Assert.Contains(documented, p => p.IsMatch("rollback:auth:keys:ci:secret"));
        Assert.Contains(documented, p => p.IsMatch("Rollback:Executors:Terraform:ProtectedTypes"));
        Assert.DoesNotContain(documented, p => p.IsMatch("Rollback:Auth:Keys:ci:Roles"));
        Assert.DoesNotContain(documented, p => p.IsMatch("Rollback:Policy:ClockSkew")); // no wildcards: each key by name
    }

    /// <summary>
    /// Every key written in code on the page (<c>`Rollback:Storage:RetainDeploys`</c>), as a pattern:
    /// <c>&lt;...&gt;</c> and <c>N</c> stand for any name or index; a trailing <c>N</c> may be left out
    /// (a list of values is bound from <c>Key:0</c>, <c>Key:1</c>, ...). Configuration keys ignore case.
    /// </summary>
    private static List<Regex> DocumentedKeys(string page) =>
        CodeSpan().Matches(page)
            .Select(m => m.Groups["key"].Value)
            .Select(key => key.Split(':').Select(segment => segment.StartsWith('<') || segment == "N" ? "[^:]+" : Regex.Escape(segment)).ToList())
            .Select(segments => segments[^1] == "[^:]+" && segments.Count > 1
                ? string.Join(':', segments[..^1]) + "(?::[^:]+)?"
                : string.Join(':', segments))
            .Select(pattern => new Regex($"^{pattern}$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant))
            .ToList();

    [GeneratedRegex(@"`(?<key>[A-Za-z_][A-Za-z0-9_]*(?::[^`\s:]+)*)`")]
    private static partial Regex CodeSpan();
}
