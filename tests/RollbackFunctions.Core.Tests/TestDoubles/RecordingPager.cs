using System.Collections.Concurrent;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Core.Tests.TestDoubles;

/// <summary>A pager that records every page; the PagerDuty wire format has its own tests against a real receiver.</summary>
internal sealed class RecordingPager(Journal journal) : IPager
{
    public ConcurrentQueue<Page> Pages { get; } = new();

    public IReadOnlyList<PageKind> Kinds => Pages.Select(p => p.Kind).ToList();

    public Task<IReadOnlyList<ChannelOutcome>> PageAsync(Page page, CancellationToken cancellationToken)
    {
        Pages.Enqueue(page);
        journal.Write($"page:{page.Kind}");
        return Task.FromResult<IReadOnlyList<ChannelOutcome>>([new ChannelOutcome("recording", true, "recorded")]);
    }

    public ConcurrentQueue<Notice> Notices { get; } = new();

    public Task<IReadOnlyList<ChannelOutcome>> WarnAsync(Notice notice, CancellationToken cancellationToken)
    {
        Notices.Enqueue(notice);
        journal.Write($"notice:{notice.Kind}");
        return Task.FromResult<IReadOnlyList<ChannelOutcome>>([new ChannelOutcome("recording", true, "recorded")]);
    }

    public Task<IReadOnlyList<ChannelOutcome>> AnnounceAsync(ChangeNotice notice, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ChannelOutcome>>([]);
}
