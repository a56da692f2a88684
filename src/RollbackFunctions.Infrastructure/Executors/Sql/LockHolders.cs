using Npgsql;

namespace RollbackFunctions.Infrastructure.Executors.Sql;

/// <summary>
/// Who held the locks a down migration gave up waiting for. PostgreSQL's lock-timeout error does
/// not name them, and by the time it is raised the wait is over; what is left to see is the other
/// sessions of that database holding relation locks in transactions older than the lock timeout:
/// the long transactions a DDL lock queues behind.
/// </summary>
internal static class LockHolders
{
    public static async Task<string> DescribeAsync(string connectionString, TimeSpan lockTimeout, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("""
                SELECT DISTINCT a.pid, coalesce(nullif(a.application_name, ''), '?'), coalesce(a.usename, '?'), coalesce(a.state, '?'),
                       extract(epoch FROM now() - a.xact_start)::bigint, left(regexp_replace(coalesce(a.query, ''), '\s+', ' ', 'g'), 120)
                FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid AND l.granted AND l.locktype = 'relation'
                WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.xact_start < now() - @timeout
                ORDER BY 5 DESC LIMIT 5
                """, connection);
            command.Parameters.AddWithValue("timeout", lockTimeout);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var holders = new List<string>();
            while (await reader.ReadAsync(cancellationToken))
            {
                holders.Add($"pid {reader.GetInt32(0)} ({reader.GetString(1)}, user {reader.GetString(2)}, {reader.GetString(3)}, transaction open {reader.GetInt64(4)} s, last query: {reader.GetString(5)})");
            }

            return holders.Count == 0 ? "no long transaction holds locks any more" : $"held by {string.Join("; ", holders)}";
        }
        catch (NpgsqlException e)
        {
            return $"the lock holders could not be read: {e.Message}";
        }
    }
}
