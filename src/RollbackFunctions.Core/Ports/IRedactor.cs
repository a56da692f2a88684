namespace RollbackFunctions.Core.Ports;

/// <summary>
/// Masks every configured secret (tokens, connection strings, keys) in text that leaves its place:
/// a step's detail is stored, shown to readers, paged, logged and audited, and an executor may echo
/// whatever a tool or a receiver said (SAFETY.md 10).
/// </summary>
public interface IRedactor
{
    string Redact(string text);
}
