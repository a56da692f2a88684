using System.Security.Cryptography;
using System.Text;

namespace RollbackFunctions.Core.Executors;

/// <summary>
/// What a step's target holds, as the three-state rule compares it (SAFETY.md 1): the state from
/// before the deploy, the one the deploy made, the one found at revert. Secret-free by construction:
/// <see cref="Shown"/> holds what a human may read (images, chart revisions, flag values, commits);
/// <see cref="Hidden"/> holds digests of what may be secret (ConfigMap values), compared and
/// named, never shown.
/// </summary>
public sealed record TargetState
{
    public IReadOnlyDictionary<string, string> Shown { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Hidden { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The state shows only part of what the step may change (a database's schema, not its rows): a
    /// target equal to before proves nothing when the deploy's own state was equal to before too.
    /// </summary>
    public bool Partial { get; init; }

    /// <summary>Same parts with the same values: the target holds the same state.</summary>
    public bool SameAs(TargetState other) => Same(Shown, other.Shown) && Same(Hidden, other.Hidden);

    /// <summary>"app=registry/checkout:1.4.2" and "keys: a, b" for details and pages; never a hidden value.</summary>
    public string Summary()
    {
        var parts = Shown.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}").ToList();
        if (Hidden.Count > 0)
        {
            parts.Add($"{Hidden.Count} hidden part(s)");
        }

        return parts.Count == 0 ? "(nothing)" : string.Join(", ", parts);
    }

    /// <summary>
    /// A digest of every part and value (hidden ones as their digests): equal for states that are
    /// <see cref="SameAs"/>, so a judgement can name the exact state it was made for.
    /// </summary>
    public string Fingerprint() => Digest(string.Join("\n",
        Shown.Select(p => $"shown {p.Key}={p.Value}").Concat(Hidden.Select(p => $"hidden {p.Key}={p.Value}")).Order(StringComparer.Ordinal)));

    /// <summary>The names of the parts that differ between two states.</summary>
    public IReadOnlyList<string> DifferingParts(TargetState other) =>
        Shown.Keys.Concat(other.Shown.Keys).Concat(Hidden.Keys).Concat(other.Hidden.Keys)
            .Distinct(StringComparer.Ordinal)
            .Where(k => Value(this, k) != Value(other, k))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>A digest of a value that may be secret: equal values compare equal, the value cannot be read back.</summary>
    public static string Digest(string value) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..32];

    public static TargetState Of(params (string Part, string Value)[] shown) =>
        new() { Shown = shown.ToDictionary(p => p.Part, p => p.Value, StringComparer.Ordinal) };

    private static string? Value(TargetState state, string part) =>
        state.Shown.TryGetValue(part, out var shown) ? shown : state.Hidden.TryGetValue(part, out var hidden) ? "#" + hidden : null;

    private static bool Same(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value);
}

/// <summary>What an executor read of a target now; a problem when it could not.</summary>
/// <param name="State">The state; null with a problem, or for kinds that cannot be read (<see cref="NotObservable"/>).</param>
/// <param name="Problem">Why it could not be read.</param>
/// <param name="Transient">The problem may go away on a retry.</param>
public sealed record TargetObservation(TargetState? State, string? Problem = null, bool Transient = false)
{
    /// <summary>
    /// The target's version as read (a Kubernetes resourceVersion, an ETag): the revert sends it as
    /// its write's precondition (<see cref="StepRevertRequest.ObservedVersion"/>), so a change made
    /// after this read is refused by the target rather than overwritten. Null when the target has none.
    /// </summary>
    public string? Version { get; init; }

    /// <summary>The kind has no state this product can read (a webhook receiver owns it): its revert judges for itself.</summary>
    public static TargetObservation NotObservable { get; } = new(State: null);

    public static TargetObservation Failed(string problem, bool transient) => new(null, problem, transient);
}

/// <summary>A step's target to read, with the step's parameters and what was captured at registration.</summary>
public sealed record StepObserveRequest(string DeployId, string StepId, string Kind, System.Text.Json.Nodes.JsonObject Params)
{
    public System.Text.Json.Nodes.JsonObject? Captured { get; init; }
}
