using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Quarantine;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Quarantine;

public sealed class QuarantineRuleTests
{
    private static readonly string Api = "sha256:" + new string('a', 64);
    private static readonly string Sidecar = "sha256:" + new string('b', 64);
    private static readonly DateTimeOffset Now = T0.AddHours(1);

    [Fact]
    public void SubjectsOf_DigestTheReplacedDeployAlreadyCarried_IsNotThisDeploysChange()
    {
        var bad = Record(id: "d-2") with { Artifacts = [new("api", Api), new("sidecar", Sidecar)] };
        var before = Record(id: "d-1") with { Version = "1.4.1", Artifacts = [new("sidecar", Sidecar)] };

        var subjects = QuarantineRule.SubjectsOf(bad, before);

        Assert.Equal([new QuarantineSubject("version", "1.4.2"), new QuarantineSubject("digest", Api)], subjects);
    }

    [Fact]
    public void Blocking_SameVersionAgain_IsRefused_ANewerVersionIsNot()
    {
        var entries = new[] { Entry(new QuarantineSubject("version", "1.4.2")) };

        Assert.NotNull(QuarantineRule.Blocking(entries, Record(id: "d-3"), Now));
        Assert.Null(QuarantineRule.Blocking(entries, Record(id: "d-3") with { Version = "1.4.3" }, Now));
        Assert.Null(QuarantineRule.Blocking(entries, Record(id: "d-3", environment: "staging"), Now));
    }

    [Fact]
    public void Blocking_ADigestCarriedUnderAnotherVersion_IsRefused()
    {
        var entries = new[] { Entry(new QuarantineSubject("digest", Api)) };
        var retagged = Record(id: "d-3") with { Version = "1.4.2-retag", Artifacts = [new("api", Api)] };

        Assert.Equal(entries[0], QuarantineRule.Blocking(entries, retagged, Now));
    }

    [Fact]
    public void Blocking_ReleasedExpiredOrItsOwnDeploy_DoesNotBlock()
    {
        var version = new QuarantineSubject("version", "1.4.2");
        var released = Entry(version) with { Released = new QuarantineRelease("alice", "fixed upstream", Now) };
        var expired = Entry(version) with { Until = Now };

        Assert.Null(QuarantineRule.Blocking([released], Record(id: "d-3"), Now));
        Assert.Null(QuarantineRule.Blocking([expired], Record(id: "d-3"), Now));
        Assert.Null(QuarantineRule.Blocking([Entry(version)], Record(id: "d-2"), Now));
    }

    [Fact]
    public void Applies_OnlyWhenSomethingWasReverted()
    {
        Assert.True(QuarantineRule.Applies([StepStatus.Skipped, StepStatus.Reverted]));
        Assert.False(QuarantineRule.Applies([StepStatus.Skipped, StepStatus.RevertFailed, StepStatus.NotApproved]));
    }

    [Fact]
    public void Explain_NamesTheRollbackAndHowToRelease()
    {
        var text = QuarantineRule.Explain(Entry(new QuarantineSubject("version", "1.4.2")));

        Assert.Contains("rb-d-2", text);
        Assert.Contains("POST /api/quarantine/release", text);
    }

    private static QuarantineEntry Entry(QuarantineSubject subject) =>
        new("checkout", "prod", subject, "rb-d-2", "d-2", T0, T0.AddDays(7));
}
