using System.Security.Cryptography;
using System.Text;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Quarantine;

namespace RollbackFunctions.Infrastructure.Storage;

/// <summary>
/// Quarantine entries in Table storage: a partition per service and environment (what a
/// registration reads: one partition query), a row per subject. Keys are digests because versions
/// may hold characters Table keys forbid.
/// </summary>
public sealed class TableQuarantineStore(StorageTables tables) : IQuarantineStore
{
    private readonly TableDocuments<QuarantineEntry> documents = new(tables.Quarantine, StorageJson.Options);

    public async Task AddAsync(QuarantineEntry entry, CancellationToken cancellationToken)
    {
        var (partition, row) = (Partition(entry.Service, entry.Environment), Row(entry.Subject));
        while (!await documents.TryAddAsync(partition, row, entry, cancellationToken))
        {
            // One from the same rollback stays as it is (it may have been released since).
            if (await documents.UpdateAsync(partition, row, stored => stored.RollbackId == entry.RollbackId ? null : entry, cancellationToken) is not null)
            {
                return;
            }
        }
    }

    public Task<IReadOnlyList<QuarantineEntry>> FindAsync(string service, string environment, CancellationToken cancellationToken) =>
        documents.QueryAsync(Azure.Data.Tables.TableClient.CreateQueryFilter($"PartitionKey eq {Partition(service, environment)}"), cancellationToken);

    public Task<IReadOnlyList<QuarantineEntry>> ListAsync(CancellationToken cancellationToken) =>
        documents.QueryAsync("", cancellationToken);

    public Task<QuarantineEntry?> UpdateAsync(string service, string environment, QuarantineSubject subject, Func<QuarantineEntry, QuarantineEntry?> change, CancellationToken cancellationToken) =>
        documents.UpdateAsync(Partition(service, environment), Row(subject), change, cancellationToken);

    private static string Partition(string service, string environment) => Digest($"{service}\n{environment}");

    private static string Row(QuarantineSubject subject) => Digest($"{subject.Kind}\n{subject.Value}");

    private static string Digest(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
}
