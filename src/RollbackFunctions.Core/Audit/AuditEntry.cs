namespace RollbackFunctions.Core.Audit;

/// <summary>One action to record. Inputs are digested (after redaction), not stored.</summary>
/// <param name="Chain">The chain it belongs to: a rollback id, or an intake chain for alerts matching nothing.</param>
/// <param name="Actor"><c>system</c>, <c>ci</c> or an operator.</param>
/// <param name="Action">What was done, e.g. <c>step.finished</c>.</param>
/// <param name="Inputs">What the action acted on; secrets are redacted before digesting.</param>
/// <param name="Outcome">How it ended, e.g. <c>reverted</c>.</param>
/// <param name="Detail">A sentence for humans.</param>
public sealed record AuditEntry(string Chain, string Actor, string Action, object? Inputs, string Outcome, string Detail);

/// <summary>A stored audit row, linked to the one before it by hash.</summary>
public sealed record AuditRow(
    long Sequence,
    DateTimeOffset At,
    string Actor,
    string Action,
    string InputsDigest,
    string Outcome,
    string Detail,
    string PreviousHash,
    string Hash)
{
    /// <summary>The id of the key whose HMAC <see cref="Hash"/> is, or empty for a plain SHA-256 link.</summary>
    public string KeyId { get; init; } = "";
}

/// <summary>The rows of a chain and whether the chain is intact.</summary>
/// <param name="Rows">In sequence order.</param>
/// <param name="Verified">Every hash recomputes and links, and nothing is missing at the end.</param>
/// <param name="Problem">The first break found, when not verified.</param>
/// <param name="Keyed">
/// Every row and the head are signed with a configured key: then the trail proves its rows were
/// written by the product and none was changed or cut from the end, to anyone without the key.
/// Unkeyed, it proves only what a plain hash chain does: accidental damage, not deliberate edits.
/// </param>
public sealed record AuditTrail(IReadOnlyList<AuditRow> Rows, bool Verified, string? Problem, bool Keyed = false);
