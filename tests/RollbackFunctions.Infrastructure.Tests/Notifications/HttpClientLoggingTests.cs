using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RollbackFunctions.Infrastructure.Configuration;
using RollbackFunctions.Infrastructure.Notifications;

namespace RollbackFunctions.Infrastructure.Tests.Notifications;

/// <summary>
/// Issue 9, finding 13: HttpClient's own logging writes every request URI at Information, and a Slack
/// or Teams incoming-webhook URL is a secret in its path.
/// </summary>
public sealed class HttpClientLoggingTests
{
    [Fact]
    public async Task ChannelClients_NeverLogTheUrlTheyCall()
    {
        await using var receiver = await LocalReceiver.StartAsync();
        var logs = new RecordingLoggerProvider();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Rollback:Storage:ConnectionString"] = "UseDevelopmentStorage=true" })
            .Build();
        var services = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs))
            .AddRollbackAdapters(configuration);
        await using var provider = services.BuildServiceProvider();
        const string secret = "T0SECRET/B0SECRET/xoxbSECRETSECRET";

        foreach (var client in new[] { SlackChannel.HttpClientName, TeamsChannel.HttpClientName, PagerDutyChannel.HttpClientName })
        {
            using var response = await provider.GetRequiredService<IHttpClientFactory>().CreateClient(client).PostAsync($"{receiver.BaseUrl}/hooks/{secret}", null);
        }

        Assert.NotEmpty(receiver.Received);
        Assert.DoesNotContain(logs.Lines, line => line.Contains("SECRET", StringComparison.Ordinal));
    }

    private sealed class RecordingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(RecordingLoggerProvider provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                provider.Lines.Enqueue($"{category}: {formatter(state, exception)}");
        }
    }
}
