using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Core.Tests.Executors;

/// <summary>The one home of SAFETY.md 1, as pure code.</summary>
public sealed class ThreeStatesTests
{
    private static readonly TargetState Before = TargetState.Of(("image app", "checkout:1.4.1"));
    private static readonly TargetState After = TargetState.Of(("image app", "checkout:1.4.2"));
    private static readonly TargetState Hotfix = TargetState.Of(("image app", "checkout:1.4.2-hotfix"));

    [Theory]
    [InlineData("after", false, RevertJudgement.Restore)]
    [InlineData("before", false, RevertJudgement.Unchanged)]
    [InlineData("hotfix", false, RevertJudgement.Drift)]
    public void Judge_CurrentAgainstBeforeAndAfter(string current, bool maybeApplied, RevertJudgement expected) =>
        Assert.Equal(expected, ThreeStates.Judge(Before, After, State(current), maybeApplied).Judgement);

    [Fact]
    public void Judge_InFlightWithoutAfter_AnyChangeFromBeforeIsRestored() =>
        Assert.Equal(RevertJudgement.Restore, ThreeStates.Judge(Before, null, Hotfix, maybeApplied: true).Judgement);

    [Fact]
    public void Judge_AppliedButItsStateNeverRecorded_AChangeIsDrift() =>
        Assert.Equal(RevertJudgement.Drift, ThreeStates.Judge(Before, null, Hotfix, maybeApplied: false).Judgement);

    [Fact]
    public void Judge_Drift_SumsUpTheThreeStates() =>
        Assert.Equal(
            "drift: before the deploy image app=checkout:1.4.1; this deploy made image app=checkout:1.4.2; now image app=checkout:1.4.2-hotfix (changed since the deploy: image app)",
            ThreeStates.Judge(Before, After, Hotfix, maybeApplied: false).Why);

    /// <summary>SAFETY.md 10: a ConfigMap's values are compared as digests and a drift names the keys only.</summary>
    [Fact]
    public void Judge_DriftOfHiddenParts_NamesTheKeysNeverTheValues()
    {
        static TargetState Config(string password) => new()
        {
            Shown = new Dictionary<string, string> { ["keys"] = "data.DB_PASSWORD" },
            Hidden = new Dictionary<string, string> { ["key data.DB_PASSWORD"] = TargetState.Digest(password) },
        };

        var (judgement, why) = ThreeStates.Judge(Config("hunter1"), Config("hunter2"), Config("s3cret-hotfix"), maybeApplied: false);

        Assert.Equal(RevertJudgement.Drift, judgement);
        Assert.Contains("key data.DB_PASSWORD", why);
        Assert.DoesNotContain("hunter", why);
        Assert.DoesNotContain("s3cret", why);
        Assert.DoesNotContain(TargetState.Digest("s3cret-hotfix"), why);
    }

    /// <summary>A data-only migration leaves the schema as before: the state read cannot say "unchanged".</summary>
    [Fact]
    public void Judge_PartialStateEqualEverywhere_LeavesItToTheRevert()
    {
        var schema = TargetState.Of(("tables", "3")) with { Partial = true };

        Assert.Equal(RevertJudgement.Restore, ThreeStates.Judge(schema, schema, schema, maybeApplied: false).Judgement);
        Assert.Equal(RevertJudgement.Drift, ThreeStates.Judge(schema, null, schema, maybeApplied: true).Judgement);
    }

    [Fact]
    public void Judge_NothingKeptFromBefore_GoesOnAsBefore() =>
        Assert.Equal(RevertJudgement.Restore, ThreeStates.Judge(null, null, Hotfix, maybeApplied: false).Judgement);

    private static TargetState State(string name) => name switch
    {
        "after" => After,
        "before" => Before,
        _ => Hotfix,
    };
}
