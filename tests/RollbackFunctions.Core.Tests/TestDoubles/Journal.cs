using System.Collections.Concurrent;

namespace RollbackFunctions.Core.Tests.TestDoubles;

/// <summary>One ordered log shared by the doubles of a test, so a test can assert what happened before what.</summary>
internal sealed class Journal
{
    private readonly ConcurrentQueue<string> entries = new();

    public IReadOnlyList<string> Entries => entries.ToList();

    public void Write(string entry) => entries.Enqueue(entry);

    public int IndexOf(string entry) => Entries.ToList().IndexOf(entry);
}
