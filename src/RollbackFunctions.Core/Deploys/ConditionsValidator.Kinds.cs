using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Deploys;

/// <summary>The statistical check kinds and the per-deploy quotas of rate-limited sources.</summary>
internal static partial class ConditionsValidator
{
    /// <summary>Sources whose query language takes a <c>[$window]</c> range, as burn-rate queries need.</summary>
    private static readonly string[] BurnRateSources = ["prometheus", "loki"];

    private static void ValidateDivergence(DivergenceCheck divergence, string source, string at, SourceFacts sources, Action<string, string> add)
    {
        if (new[] { divergence.Canary, divergence.CanaryRequests, divergence.Baseline, divergence.BaselineRequests }.Any(string.IsNullOrWhiteSpace))
        {
            add(at, "needs canary and canaryRequests, baseline and baselineRequests queries: each side's bad events and its requests per second");
        }

        if (sources.Names.Contains(source) && !sources.Ranges.Contains(source))
        {
            add(at, $"source '{source}' cannot run range queries; divergence runs on: {string.Join(", ", sources.Ranges.Order(StringComparer.Ordinal))}");
        }

        if (!(divergence.MaxRatio >= 1) || !(divergence.MinDelta >= 0))
        {
            add(at, "needs maxRatio of at least 1 and minDelta of at least 0");
        }

        if (divergence.Samples is < DivergenceDefaults.MinSamples or > DivergenceDefaults.MaxSamples)
        {
            add($"{at}.samples", $"must be between {DivergenceDefaults.MinSamples} and {DivergenceDefaults.MaxSamples}");
        }

        if (!(divergence.Confidence >= 0.5 && divergence.Confidence < 1))
        {
            add($"{at}.confidence", "must be at least 0.5 and below 1 (0.95: one false alarm in 20 equal comparisons)");
        }

        if (!(divergence.MinRequests >= 0) || double.IsInfinity(divergence.MinRequests))
        {
            add($"{at}.minRequests", "must be 0 or more requests per second");
        }

        if (divergence.Interval is { } interval && !(interval >= TimeSpan.FromSeconds(1) && interval <= TimeSpan.FromHours(1)))
        {
            add($"{at}.interval", "must be between 00:00:01 and 01:00:00");
        }
    }

    private static void ValidateBurnRate(BurnRateCheck burnRate, string source, string at, Action<string, string> add)
    {
        if (!BurnRateSources.Contains(source))
        {
            add(at, $"runs on {string.Join(" or ", BurnRateSources)}, whose queries take a [$window] range");
        }

        if (!(burnRate.Objective > 0 && burnRate.Objective < 1))
        {
            add($"{at}.objective", "must be above 0 and below 1, e.g. 0.999 for 99.9 % good");
        }

        foreach (var (name, query) in new[] { ("good", burnRate.Good), ("total", burnRate.Total) })
        {
            if (string.IsNullOrWhiteSpace(query) || !query.Contains(BurnRateCheck.WindowPlaceholder, StringComparison.Ordinal))
            {
                add($"{at}.{name}", $"needs a query with {BurnRateCheck.WindowPlaceholder} where the range goes, e.g. sum(rate(http_requests_total[{BurnRateCheck.WindowPlaceholder}]))");
            }
        }

        if (burnRate.Windows is { Count: > MaxBurnWindows })
        {
            add($"{at}.windows", $"at most {MaxBurnWindows} pairs");
        }
        else if (burnRate.Pairs(out var problem) is null)
        {
            add($"{at}.windows", problem!);
        }
    }

    private const int MaxBurnWindows = 4;

    /// <summary>A source with a call quota takes at most its number of checks per deploy (all its sources together).</summary>
    private static void ValidateQuotas(IReadOnlyList<ConditionCheck> checks, SourceFacts sources, Action<string, string> add)
    {
        var perQuota = checks.Where(c => c is not null && sources.Quotas.ContainsKey(c.Source)).GroupBy(c => sources.Quotas[c.Source]);
        foreach (var group in perQuota.Where(g => g.Count() > g.Key.Max))
        {
            add("conditions.checks", $"{group.Count()} checks on {group.Key.Quota}; at most {group.Key.Max} per deploy ({group.Key.Setting}), so every deploy's watcher stays inside the API's rate limit");
        }
    }
}
