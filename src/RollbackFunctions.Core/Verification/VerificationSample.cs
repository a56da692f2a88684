namespace RollbackFunctions.Core.Verification;

/// <summary>One round of verification: every check at one moment, and the combined verdict.</summary>
public sealed record VerificationSample(DateTimeOffset At, Verdict Verdict, IReadOnlyList<CheckResult> Checks, string Summary);
