using RollbackFunctions.Core.Verification;
using RollbackFunctions.Core.Watching;

namespace RollbackFunctions.Core.Deploys;

/// <summary>Checks registered conditions, so a typo is a 400 at registration, not a failed verification mid-incident.</summary>
internal static partial class ConditionsValidator
{
    /// <summary>Validates with only the source names known (every source taken to be without quota, Prometheus able to run range queries).</summary>
    public static void Validate(RollbackConditions conditions, IReadOnlyCollection<string> sources, Action<string, string> add) =>
        Validate(conditions, SourceFacts.Named(sources), add);

    public static void Validate(RollbackConditions conditions, SourceFacts sourceFacts, Action<string, string> add)
    {
        var sources = sourceFacts.Names;
        var names = new HashSet<string>(StringComparer.Ordinal);
        var checks = conditions.Checks ?? [];
        for (var i = 0; i < checks.Count; i++)
        {
            var at = $"conditions.checks[{i}]";
            var check = checks[i];
            if (check is null)
            {
                add(at, "must be an object");
                continue;
            }

            if (string.IsNullOrWhiteSpace(check.Name) || !names.Add(check.Name))
            {
                add($"{at}.name", "must be present and unique");
            }

            if (!sources.Contains(check.Source))
            {
                add($"{at}.source", $"unknown source '{check.Source}'; known sources: {string.Join(", ", sources.Order(StringComparer.Ordinal))}");
            }

            ValidateWhat(check, at, sourceFacts, add);
            ValidateLimits(check, at, add);
        }

        ValidateQuotas(checks, sourceFacts, add);

        if (conditions.Interval is { } interval && !DeployDefaults.IsWaitInRange(interval))
        {
            add("conditions.interval", DeployDefaults.WaitRangeProblem);
        }

        if (conditions.RequiredHealthyChecks is < 1 or > DeployDefaults.MaxRequiredHealthyChecks)
        {
            add("conditions.requiredHealthyChecks", $"must be between 1 and {DeployDefaults.MaxRequiredHealthyChecks}");
        }

        if (conditions.VerifyWindow is { } window && !DeployDefaults.IsWaitInRange(window))
        {
            add("conditions.verifyWindow", DeployDefaults.WaitRangeProblem);
        }

        // Every verification sample is in the rollback's history: bound how many there can be.
        var defaults = Orchestration.RollbackSettings.Default.Verification;
        var (verifyWindow, every) = (conditions.VerifyWindow ?? defaults.Window, conditions.Interval ?? defaults.Interval);
        if (DeployDefaults.IsWaitInRange(verifyWindow) && DeployDefaults.IsWaitInRange(every) && verifyWindow / every > DeployDefaults.MaxVerificationSamples)
        {
            add("conditions.interval", $"verification may take at most {DeployDefaults.MaxVerificationSamples} samples: make the interval longer or verifyWindow shorter");
        }

        if (conditions.WatchInterval is { } watch && (watch < WatchDefaults.MinWatchInterval || watch > WatchDefaults.MaxWatchInterval))
        {
            add("conditions.watchInterval", $"must be between {WatchDefaults.MinWatchInterval} and {WatchDefaults.MaxWatchInterval}");
        }
    }

    /// <summary>Exactly one of a query, a template, a divergence or a burn rate, each with what it needs.</summary>
    private static void ValidateWhat(ConditionCheck check, string at, SourceFacts sources, Action<string, string> add)
    {
        var given = new[] { !string.IsNullOrWhiteSpace(check.Query), check.Template is not null, check.Divergence is not null, check.BurnRate is not null }.Count(g => g);
        if (given != 1)
        {
            add(at, "needs exactly one of query, template, divergence or burnRate");
            return;
        }

        if (check.Template is { } template && !CheckTemplates.Names.Contains(template))
        {
            add($"{at}.template", $"unknown template '{template}'; known templates: {string.Join(", ", CheckTemplates.Names)}");
        }

        if (check.Divergence is { } divergence)
        {
            ValidateDivergence(divergence, check.Source, $"{at}.divergence", sources, add);
        }
        else if (check.BurnRate is { } burnRate)
        {
            ValidateBurnRate(burnRate, check.Source, $"{at}.burnRate", add);
        }
        else if (check.UnhealthyAbove is null && check.UnhealthyBelow is null)
        {
            add(at, "needs unhealthyAbove or unhealthyBelow");
        }
    }

    private static void ValidateLimits(ConditionCheck check, string at, Action<string, string> add)
    {
        if (check.FailureLimit is < 1 or > WatchDefaults.MaxLimit)
        {
            add($"{at}.failureLimit", $"must be between 1 and {WatchDefaults.MaxLimit}");
        }

        if (check.ConsecutiveErrorLimit is < 1 or > WatchDefaults.MaxLimit)
        {
            add($"{at}.consecutiveErrorLimit", $"must be between 1 and {WatchDefaults.MaxLimit}");
        }

        if (check.BaselineTolerance is { } tolerance && !(tolerance >= 1 && tolerance <= 1000))
        {
            add($"{at}.baselineTolerance", "must be a ratio between 1 and 1000");
        }

        if (check.MinRequests is { } minRequests && !(minRequests >= 0 && double.IsFinite(minRequests)))
        {
            add($"{at}.minRequests", "must be at least 0 requests per second");
        }
    }
}
