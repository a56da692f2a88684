using System.Text;

namespace RollbackFunctions.Infrastructure.Executors.Sql;

/// <summary>
/// Finds a top-level statement of a down migration that opens, ends or cuts into a transaction
/// (<c>BEGIN</c>, <c>COMMIT</c>, <c>END</c>, <c>ROLLBACK</c>, <c>SAVEPOINT</c>, ...). The revert and
/// its rehearsal run the down inside their own transaction, judge its effect and only then commit
/// (or, rehearsing, always roll back): a <c>COMMIT</c> in the file would commit everything before it
/// unjudged, and run the rest outside any transaction. Such a down is refused, never run.
/// </summary>
/// <remarks>
/// Comments, quoted strings and identifiers and dollar-quoted bodies (a <c>DO $$ BEGIN ... END $$</c>
/// block, a function body) are skipped.
/// A procedure that commits cannot do so inside the caller's transaction (PostgreSQL refuses it).
/// </remarks>
internal static class TransactionControl
{
    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "PREPARE",
    };

    /// <summary>The first such statement (its first words), or null when there is none.</summary>
    public static string? Find(string sql)
    {
        foreach (var statement in Statements(sql))
        {
            var words = statement.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0)
            {
                continue;
            }

            var first = words[0];
            if (Keywords.Contains(first)
                && !(first.Equals("PREPARE", StringComparison.OrdinalIgnoreCase) && !(words.Length > 1 && words[1].Equals("TRANSACTION", StringComparison.OrdinalIgnoreCase))))
            {
                return string.Join(' ', words.Take(3));
            }
        }

        return null;
    }

    /// <summary>The top-level statements, with comments and quoted text blanked out.</summary>
    private static IEnumerable<string> Statements(string sql)
    {
        var current = new StringBuilder();
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            var next = i + 1 < sql.Length ? sql[i + 1] : '\0';
            if (c == '-' && next == '-')
            {
                while (i < sql.Length && sql[i] != '\n')
                {
                    i++;
                }

                current.Append(' ');
            }
            else if (c == '/' && next == '*')
            {
                var depth = 0;
                do
                {
                    if (sql[i] == '/' && i + 1 < sql.Length && sql[i + 1] == '*')
                    {
                        depth++;
                        i += 2;
                    }
                    else if (sql[i] == '*' && i + 1 < sql.Length && sql[i + 1] == '/')
                    {
                        depth--;
                        i += 2;
                    }
                    else
                    {
                        i++;
                    }
                }
                while (depth > 0 && i < sql.Length);
                current.Append(' ');
            }
            else if (c == '\'')
            {
                var escapes = i > 0 && sql[i - 1] is 'e' or 'E' && (i < 2 || !IsWordChar(sql[i - 2]));
                i++;
                while (i < sql.Length)
                {
                    if (escapes && sql[i] == '\\')
                    {
                        i += 2;
                    }
                    else if (sql[i] == '\'')
                    {
                        i++;
                        if (i < sql.Length && sql[i] == '\'')
                        {
                            i++;
                            continue;
                        }

                        break;
                    }
                    else
                    {
                        i++;
                    }
                }

                current.Append(" '' ");
            }
            else if (c == '"')
            {
                i++;
                while (i < sql.Length)
                {
                    if (sql[i] == '"')
                    {
                        i++;
                        if (i < sql.Length && sql[i] == '"')
                        {
                            i++;
                            continue;
                        }

                        break;
                    }

                    i++;
                }

                current.Append(" \"\" ");
            }
            else if (c == '$' && (i == 0 || !IsWordChar(sql[i - 1])) && DollarTag(sql, i) is { } tag)
            {
                var end = sql.IndexOf(tag, i + tag.Length, StringComparison.Ordinal);
                i = end < 0 ? sql.Length : end + tag.Length;
                current.Append(" $$ ");
            }
            else if (c == ';')
            {
                yield return current.ToString();
                current.Clear();
                i++;
            }
            else
            {
                current.Append(c);
                i++;
            }
        }

        yield return current.ToString();
    }

    /// <summary>The dollar-quote opening at <paramref name="at"/> (<c>$$</c> or <c>$tag$</c>), or null (a parameter such as <c>$1</c>).</summary>
    private static string? DollarTag(string sql, int at)
    {
        var i = at + 1;
        if (i < sql.Length && char.IsDigit(sql[i]))
        {
            return null;
        }

        while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] == '_'))
        {
            i++;
        }

        return i < sql.Length && sql[i] == '$' ? sql[at..(i + 1)] : null;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '$';
}
