using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Deploys;

/// <summary>Checks registered conditions, so a typo is a 400 at registration, not a failed verification mid-incident.</summary>
internal static class ConditionsValidator
{
    public static void Validate(RollbackConditions conditions, Action<string, string> add)
    {
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

            if (check.Source != "prometheus")
            {
                add($"{at}.source", $"unknown source '{check.Source}'; known sources: prometheus");
            }

            if (string.IsNullOrWhiteSpace(check.Query))
            {
                add($"{at}.query", "is required");
            }

            if (check.UnhealthyAbove is null && check.UnhealthyBelow is null)
            {
                add(at, "needs unhealthyAbove or unhealthyBelow");
            }
        }

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
    }
}
