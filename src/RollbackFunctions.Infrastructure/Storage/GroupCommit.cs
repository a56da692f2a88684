using System.Collections.Concurrent;

namespace RollbackFunctions.Infrastructure.Storage;

/// <summary>
/// Joins concurrent writes to one storage row into one: while a write of a key is in flight, the
/// writes that arrive for the same key wait, then the next writer stores all of them at once. Every
/// caller returns only once a write that includes its contribution has succeeded (or sees its
/// failure), so nothing is acknowledged that is not stored. Without it, an Alertmanager HA pair re-
/// sending a large group has dozens of requests read-modify-write the same alert row and mostly
/// lose the ETag race and retry.
/// </summary>
/// <typeparam name="T">One caller's contribution; the writer folds a batch of them into one write.</typeparam>
public sealed class GroupCommit<T>
{
    private readonly ConcurrentDictionary<string, Slot> slots = new(StringComparer.Ordinal);

    /// <summary>Adds <paramref name="item"/> to the key's next write and waits until that write is stored.</summary>
    public async Task AddAsync(string key, T item, Func<IReadOnlyList<T>, Task> write)
    {
        Slot slot;
        Batch batch;
        while (true)
        {
            slot = slots.GetOrAdd(key, _ => new Slot());
            lock (slot)
            {
                if (slot.Retired)
                {
                    continue; // removed while we looked: take the key's new slot
                }

                slot.Users++;
                slot.Open.Items.Add(item);
                batch = slot.Open;
                break;
            }
        }

        try
        {
            await slot.Writer.WaitAsync();
            try
            {
                if (!batch.Stored.Task.IsCompleted)
                {
                    // Ours is still open: close it (and everything that joined it) and write it.
                    lock (slot)
                    {
                        slot.Open = new Batch();
                    }

                    try
                    {
                        await write(batch.Items);
                        batch.Stored.SetResult();
                    }
                    catch (Exception e)
                    {
                        batch.Stored.SetException(e);
                    }
                }
            }
            finally
            {
                slot.Writer.Release();
            }

            await batch.Stored.Task;
        }
        finally
        {
            lock (slot)
            {
                if (--slot.Users == 0)
                {
                    slot.Retired = true;
                    slots.TryRemove(new KeyValuePair<string, Slot>(key, slot));
                }
            }
        }
    }

    private sealed class Slot
    {
        public SemaphoreSlim Writer { get; } = new(1, 1);

        public Batch Open { get; set; } = new();

        public int Users { get; set; }

        public bool Retired { get; set; }
    }

    private sealed class Batch
    {
        public List<T> Items { get; } = [];

        public TaskCompletionSource Stored { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
