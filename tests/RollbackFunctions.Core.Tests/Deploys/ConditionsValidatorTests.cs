using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Tests.Deploys;

public sealed class ConditionsValidatorTests
{
    private static readonly ConditionCheck Good = new() { Name = "errors", Query = "sum(rate(errors[1m]))", UnhealthyAbove = 0.05 };

    private static Dictionary<string, string> Problems(RollbackConditions conditions)
    {
        var problems = new Dictionary<string, string>();
        ConditionsValidator.Validate(conditions, ["prometheus", "loki"], (field, message) => problems[field] = message);
        return problems;
    }

    [Fact]
    public void Validate_ACompleteCheck_HasNoProblems() =>
        Assert.Empty(Problems(new RollbackConditions { Checks = [Good], Interval = TimeSpan.FromSeconds(30), RequiredHealthyChecks = 3, VerifyWindow = TimeSpan.FromMinutes(10) }));

    [Fact]
    public void Validate_DuplicateOrMissingNames_NameTheField()
    {
        var problems = Problems(new RollbackConditions { Checks = [Good, Good, Good with { Name = " " }] });

        Assert.Contains("conditions.checks[1].name", problems.Keys);
        Assert.Contains("conditions.checks[2].name", problems.Keys);
        Assert.DoesNotContain("conditions.checks[0].name", problems.Keys);
    }

    [Fact]
    public void Validate_UnknownSource_ListsTheKnownOnes() =>
        Assert.Contains("known sources: loki, prometheus", Problems(new RollbackConditions { Checks = [Good with { Source = "graphite" }] })["conditions.checks[0].source"]);

    [Fact]
    public void Validate_NoQueryOrNoThreshold_AreProblems()
    {
        var problems = Problems(new RollbackConditions { Checks = [Good with { Query = "" }, Good with { Name = "b", UnhealthyAbove = null }] });

        Assert.Equal("is required", problems["conditions.checks[0].query"]);
        Assert.Contains("unhealthyAbove or unhealthyBelow", problems["conditions.checks[1]"]);
    }

    [Fact]
    public void Validate_NullCheck_MustBeAnObject() =>
        Assert.Equal("must be an object", Problems(new RollbackConditions { Checks = [null!] })["conditions.checks[0]"]);

    [Theory]
    [InlineData(0.5, null, null, "conditions.interval")]
    [InlineData(90000.0, null, null, "conditions.interval")]
    [InlineData(null, 0, null, "conditions.requiredHealthyChecks")]
    [InlineData(null, 101, null, "conditions.requiredHealthyChecks")]
    [InlineData(null, null, 0.5, "conditions.verifyWindow")]
    [InlineData(null, null, 90000.0, "conditions.verifyWindow")]
    public void Validate_CadenceOutOfBounds_NamesTheField(double? intervalSeconds, int? required, double? windowSeconds, string field)
    {
        var conditions = new RollbackConditions
        {
            Checks = [Good],
            Interval = intervalSeconds is { } i ? TimeSpan.FromSeconds(i) : null,
            RequiredHealthyChecks = required,
            VerifyWindow = windowSeconds is { } w ? TimeSpan.FromSeconds(w) : null,
        };

        Assert.Equal([field], Problems(conditions).Keys);
    }
}
