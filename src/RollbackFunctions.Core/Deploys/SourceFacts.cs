using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Core.Deploys;

/// <summary>What registration needs to know of the configured metric sources.</summary>
/// <param name="Names">Every source name a check may give.</param>
/// <param name="Ranges">Sources that run range queries (what a divergence check needs).</param>
/// <param name="Quotas">Per source with a call quota: the quota's name, its checks per deploy and the setting.</param>
public sealed record SourceFacts(IReadOnlyCollection<string> Names, IReadOnlyCollection<string> Ranges, IReadOnlyDictionary<string, (string Quota, int Max, string Setting)> Quotas)
{
    /// <summary>Sources known by name only: Prometheus runs range queries, none has a quota.</summary>
    public static SourceFacts Named(IReadOnlyCollection<string> names) =>
        new(names, names.Where(n => n == "prometheus").ToList(), new Dictionary<string, (string, int, string)>());

    public static SourceFacts Of(IEnumerable<IMetricSource> sources)
    {
        var all = sources.ToList();
        return new SourceFacts(
            all.Select(s => s.Name).ToHashSet(StringComparer.Ordinal),
            all.OfType<IRangeMetricSource>().Select(s => s.Name).ToHashSet(StringComparer.Ordinal),
            all.OfType<IQuotaMetricSource>().ToDictionary(s => s.Name, s => (s.Quota, s.MaxChecksPerDeploy, s.MaxChecksSetting), StringComparer.Ordinal));
    }
}
