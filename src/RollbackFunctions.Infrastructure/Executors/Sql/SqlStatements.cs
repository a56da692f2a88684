using System.Text;
using System.Text.RegularExpressions;

namespace RollbackFunctions.Infrastructure.Executors.Sql;

/// <summary>
/// Splits SQL into statements and finds those that lose data, so a down migration that drops,
/// truncates, rewrites a column's type or deletes without a WHERE waits for an operator. Comments,
/// quoted strings, quoted identifiers and dollar-quoted bodies are masked first, so a DROP inside
/// a string or a function body is not a statement.
/// </summary>
public static partial class SqlStatements
{
    /// <summary>The statements of <paramref name="sql"/>, trimmed, empty ones left out.</summary>
    public static IReadOnlyList<string> Split(string sql)
    {
        var masked = Mask(sql);
        var statements = new List<string>();
        var start = 0;
        for (var i = 0; i <= masked.Length; i++)
        {
            if (i == masked.Length || masked[i] == ';')
            {
                if (masked[start..i].Trim().Length > 0)
                {
                    statements.Add(sql[start..i].Trim());
                }

                start = i + 1;
            }
        }

        return statements;
    }

    /// <summary>The statements that lose data, as written.</summary>
    public static IReadOnlyList<string> Destructive(string sql) =>
        Split(sql).Where(statement => LosesData(Mask(statement))).ToList();

    private static bool LosesData(string statement) =>
        DropObject().IsMatch(statement)
        || DropColumn().IsMatch(statement)
        || Truncate().IsMatch(statement)
        || ChangeType().IsMatch(statement)
        || (Unfiltered().IsMatch(statement) && !Where().IsMatch(statement));

    /// <summary>The text with comments and quoted parts replaced by spaces, positions kept.</summary>
    private static string Mask(string sql)
    {
        var text = new StringBuilder(sql);
        var i = 0;
        while (i < sql.Length)
        {
            var end = sql[i] switch
            {
                '-' when At(sql, i, "--") => IndexOrEnd(sql, "\n", i),
                '/' when At(sql, i, "/*") => IndexOrEnd(sql, "*/", i + 2) + 2,
                '\'' => Closing(sql, i, '\''),
                '"' => Closing(sql, i, '"'),
                '$' when DollarTag().Match(sql, i) is { Success: true, Index: var at } tag && at == i => IndexOrEnd(sql, tag.Value, i + tag.Length) + tag.Length,
                _ => -1,
            };
            if (end < 0)
            {
                i++;
                continue;
            }

            end = Math.Min(end, sql.Length);
            for (var j = i; j < end; j++)
            {
                text[j] = ' ';
            }

            i = end;
        }

        return text.ToString();
    }

    private static bool At(string sql, int i, string token) => string.CompareOrdinal(sql, i, token, 0, token.Length) == 0;

    private static int IndexOrEnd(string sql, string token, int from) => sql.IndexOf(token, from, StringComparison.Ordinal) is var at and >= 0 ? at : sql.Length;

    /// <summary>End of a quoted part; a doubled quote is an escaped one.</summary>
    private static int Closing(string sql, int open, char quote)
    {
        for (var i = open + 1; i < sql.Length; i++)
        {
            if (sql[i] == quote)
            {
                if (i + 1 < sql.Length && sql[i + 1] == quote)
                {
                    i++;
                    continue;
                }

                return i + 1;
            }
        }

        return sql.Length;
    }

    [GeneratedRegex(@"\G\$[A-Za-z_]*\$")]
    private static partial Regex DollarTag();

    [GeneratedRegex(@"^\s*DROP\s+(TABLE|SCHEMA|DATABASE|MATERIALIZED\s+VIEW|TYPE|SEQUENCE)\b", RegexOptions.IgnoreCase)]
    private static partial Regex DropObject();

    /// <summary>ALTER TABLE … DROP [COLUMN] x; dropping a constraint, a default or NOT NULL keeps the data.</summary>
    [GeneratedRegex(@"^\s*ALTER\s+TABLE\b.*\bDROP\s+(?!CONSTRAINT\b|DEFAULT\b|NOT\s+NULL\b|IDENTITY\b|EXPRESSION\b)", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex DropColumn();

    [GeneratedRegex(@"^\s*TRUNCATE\b", RegexOptions.IgnoreCase)]
    private static partial Regex Truncate();

    [GeneratedRegex(@"\bALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE\b", RegexOptions.IgnoreCase)]
    private static partial Regex ChangeType();

    [GeneratedRegex(@"^\s*(DELETE\s+FROM|UPDATE)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Unfiltered();

    [GeneratedRegex(@"\bWHERE\b", RegexOptions.IgnoreCase)]
    private static partial Regex Where();
}
