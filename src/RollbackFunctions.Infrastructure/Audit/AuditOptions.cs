namespace RollbackFunctions.Infrastructure.Audit;

/// <summary>
/// <c>Rollback:Audit</c>: the keys that sign the audit chain. Rows are HMAC-SHA256 signed with
/// <see cref="CurrentKey"/>; older rows keep the id of the key that signed them, so a rotated key
/// stays listed under <see cref="Keys"/> for as long as its rows must verify. Without keys rows
/// are plain SHA-256 linked and the trail says it is not keyed.
/// </summary>
public sealed class AuditOptions
{
    /// <summary>Key id to secret (a Key Vault reference in Azure), at least 32 characters each.</summary>
    public Dictionary<string, string> Keys { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The id of the key new rows are signed with.</summary>
    public string? CurrentKey { get; set; }

    public IEnumerable<string> Problems()
    {
        if (Keys.Count > 0 && (CurrentKey is null || !Keys.ContainsKey(CurrentKey)))
        {
            yield return "Rollback:Audit:CurrentKey must name one of Rollback:Audit:Keys";
        }

        if (Keys.Count == 0 && !string.IsNullOrEmpty(CurrentKey))
        {
            yield return $"Rollback:Audit:CurrentKey is '{CurrentKey}' but Rollback:Audit:Keys is empty";
        }

        foreach (var (id, secret) in Keys)
        {
            if ((secret ?? "").Length < 32)
            {
                yield return $"Rollback:Audit:Keys:{id} must be at least 32 characters";
            }
        }
    }
}
