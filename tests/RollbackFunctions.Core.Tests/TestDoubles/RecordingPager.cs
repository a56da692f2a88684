using System.Collections.Concurrent;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Core.Tests.TestDoubles;

/// <summary>A pager that records every page; the PagerDuty wire format has its own tests against a real receiver.</summary>
internal sealed class RecordingPager(Journal journal) : IPager
{
    public ConcurrentQueue<Page> Pages { get; } = new();

    public IReadOnlyList<PageKind> Kinds => Pages.Select(p => p.Kind).ToList();

    /// <summary>Pages of these kinds fail this many more times before they are delivered.</summary>
    public ConcurrentDictionary<PageKind, int> FailuresLeft { get; } = new();

    /// <summary>Pages of these kinds take this long to deliver.</summary>
    public ConcurrentDictionary<PageKind, TimeSpan> Delays { get; } = new();

    public async Task<IReadOnlyList<ChannelOutcome>> PageAsync(Page page, CancellationToken cancellationToken)
    {
        if (Delays.TryGetValue(page.Kind, out var delay))
        {
            await Task.Delay(delay, cancellationToken);
        }

        if (FailuresLeft.TryGetValue(page.Kind, out var left) && left > 0)
        {
            FailuresLeft[page.Kind] = left - 1;
            journal.Write($"page-failed:{page.Kind}");
            return [new ChannelOutcome("recording", false, "PagerDuty answered 503")];
        }

        Pages.Enqueue(page);
        journal.Write($"page:{page.Kind}");
        return [new ChannelOutcome("recording", true, "recorded")];
    }

    public ConcurrentQueue<Notice> Notices { get; } = new();

    /// <summary>Notices of these kinds fail this many more times before they are delivered.</summary>
    public ConcurrentDictionary<string, int> NoticeFailuresLeft { get; } = new();

    public Task<IReadOnlyList<ChannelOutcome>> WarnAsync(Notice notice, CancellationToken cancellationToken)
    {
        if (NoticeFailuresLeft.TryGetValue(notice.Kind, out var left) && left > 0)
        {
            NoticeFailuresLeft[notice.Kind] = left - 1;
            journal.Write($"notice-failed:{notice.Kind}");
            return Task.FromResult<IReadOnlyList<ChannelOutcome>>([new ChannelOutcome("recording", false, "PagerDuty answered 503")]);
        }

        Notices.Enqueue(notice);
        journal.Write($"notice:{notice.Kind}");
        return Task.FromResult<IReadOnlyList<ChannelOutcome>>([new ChannelOutcome("recording", true, "recorded")]);
    }

    public Task<IReadOnlyList<ChannelOutcome>> AnnounceAsync(ChangeNotice notice, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ChannelOutcome>>([]);
}
