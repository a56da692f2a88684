using CsCheck;

namespace RollbackFunctions.Core.Tests.Orchestration;

/// <summary>How far CI got with one step when the alert came.</summary>
internal enum Progress
{
    /// <summary>Never started.</summary>
    Untouched,

    /// <summary>Reported applied.</summary>
    Applied,

    /// <summary>Reported failed, half of it applied.</summary>
    FailedHalfway,

    /// <summary>Reported running; its change landed.</summary>
    RunningLanded,

    /// <summary>Reported running; its change had not landed yet.</summary>
    RunningNotLanded,

    /// <summary>Not reported (CI had just started it); its change landed.</summary>
    PendingLanded,
}

/// <summary>A crash of the revert activity, once.</summary>
internal enum Crash
{
    None,
    BeforeWriting,
    AfterWriting,
}

/// <summary>A change of the target inside the revert's own windows (review item S1, the read-write gap).</summary>
internal enum Window
{
    None,

    /// <summary>Someone writes the target between the revert's read and its write.</summary>
    ChangedBeforeWrite,

    /// <summary>Someone writes the target while the first approval of the step is awaited.</summary>
    ChangedDuringApproval,

    /// <summary>The restore is destructive (asks for its effect first), and the target changes during that wait.</summary>
    DestructiveChangedDuringApproval,
}

/// <summary>One step of a generated timeline.</summary>
/// <param name="DependsOn">Indexes of earlier steps (CI applies in index order).</param>
/// <param name="RegisteredLate">The deploy was registered after this step's change landed.</param>
/// <param name="Hotfix">A person changed the target between applied and the alert.</param>
/// <param name="NewerDeploy">An overlapping deploy of the same service changed the target after this one.</param>
/// <param name="ApproveDrift">What the operator answers if the step waits for approval.</param>
/// <param name="Window">What happens to the target after the revert judged it, if anything.</param>
internal sealed record StepPlan(int[] DependsOn, Progress Progress, bool RegisteredLate, bool Hotfix, bool NewerDeploy, Crash Crash, bool ApproveDrift, Window Window = Window.None)
{
    public bool Landed => Progress is Progress.Applied or Progress.FailedHalfway or Progress.RunningLanded or Progress.PendingLanded;

    public override string ToString() =>
        $"[{Progress}{(DependsOn.Length == 0 ? "" : $" after {string.Join("+", DependsOn.Select(d => $"s{d}"))}")}{(RegisteredLate ? ", registered late" : "")}{(Hotfix ? ", hotfix" : "")}{(NewerDeploy ? ", newer deploy" : "")}{(Crash == Crash.None ? "" : $", crash {Crash}")}{(Window == Window.None ? "" : $", {Window}")}{(ApproveDrift ? ", operator approves" : ", operator rejects")}]";
}

/// <summary>A generated timeline: steps s0..sn of one deploy, what happened to each before the alert.</summary>
internal sealed record RevertTimeline(StepPlan[] Steps)
{
    public override string ToString() => string.Join(" ", Steps.Select((s, i) => $"s{i}{s}"));

    /// <summary>
    /// 1 to 4 steps; CI got as far as a random step: those before it applied, that one anywhere
    /// between untouched and applied, those after it untouched. Hotfixes, newer deploys and late
    /// registrations only where a change landed.
    /// </summary>
    public static Gen<RevertTimeline> Generator { get; } =
        Gen.Int[1, 4].SelectMany(count => Gen.Int[0, count - 1].SelectMany(reached =>
            Gen.Select(
                Gen.Int[0, 7].Array[count],
                Gen.Enum<Progress>().Array[count],
                Gen.Int[0, 8].Array[count],
                Gen.Enum<Crash>().Array[count],
                Gen.Bool.Array[count],
                (edges, progress, twist, crash, approve) => new RevertTimeline(Enumerable.Range(0, count).Select(i =>
                {
                    var step = i < reached ? Progress.Applied : i == reached ? progress[i] : Progress.Untouched;
                    var landed = step is Progress.Applied or Progress.FailedHalfway or Progress.RunningLanded or Progress.PendingLanded;
                    return new StepPlan(
                        Enumerable.Range(0, i).Where(j => (edges[i] >> j & 1) == 1 || j == i - 1 && edges[i] == 0).ToArray(),
                        step,
                        RegisteredLate: landed && twist[i] == 1,
                        Hotfix: landed && twist[i] == 2,
                        NewerDeploy: landed && twist[i] == 3,
                        crash[i],
                        approve[i],
                        landed ? twist[i] switch { 6 => Window.ChangedBeforeWrite, 7 => Window.ChangedDuringApproval, 8 => Window.DestructiveChangedDuringApproval, _ => Window.None } : Window.None);
                }).ToArray()))));
}
