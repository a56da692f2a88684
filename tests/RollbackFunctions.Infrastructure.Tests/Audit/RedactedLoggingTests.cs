using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RollbackFunctions.Infrastructure.Configuration;

namespace RollbackFunctions.Infrastructure.Tests.Audit;

/// <summary>
/// SAFETY.md 10, logs: every line any code writes through ILogger (a value it formats, an exception's
/// message, a tool's stderr) passes the same redactor as replies and the audit, whoever wrote the call.
/// </summary>
public sealed class RedactedLoggingTests
{
    private const string GitToken = "ghp_configuredtoken0123456789";
    private const string ApiKey = "ci-key-0123456789abcdef0123456789abcdef";

    [Fact]
    public void Log_ConfiguredSecretAsArgumentOrInAnException_NeverReachesAProvider()
    {
        var (logs, provider) = Compose();
        var logger = provider.GetRequiredService<ILogger<RedactedLoggingTests>>();

        logger.LogInformation("cloning with {Token} for key {Key}", GitToken, ApiKey);
        logger.LogError(new InvalidOperationException($"connect failed for https://x:{GitToken}@git.example"), "push failed for {Repository}", "config");
        using (logger.BeginScope("request with {Authorization}", $"Bearer {ApiKey}"))
        {
            logger.LogWarning("inside a scope");
        }

        Assert.Equal(3, logs.Entries.Count);
        Assert.All(logs.Entries, entry => Assert.DoesNotContain(GitToken, entry));
        Assert.All(logs.Entries, entry => Assert.DoesNotContain(ApiKey, entry));
        Assert.Contains(logs.Entries, entry => entry.Contains("cloning with *** for key ***", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, entry => entry.Contains("connect failed for https://x:***@git.example", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Log_ChildProcessStderrCarryingASecret_IsMaskedBeforeItIsWritten()
    {
        var (logs, provider) = Compose();
        var logger = provider.GetRequiredService<ILogger<RedactedLoggingTests>>();
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("echo \"fatal: could not read from https://x:$1@git.example\" >&2");
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add(GitToken);
        using var child = Process.Start(start)!;
        var stderr = await child.StandardError.ReadToEndAsync();
        await child.WaitForExitAsync();
        Assert.Contains(GitToken, stderr);

        // As a local child's output is relayed, or a tool's failure surfaces in an exception the engine logs.
        logger.LogWarning("tool said: {Stderr}", stderr.Trim());
        logger.LogError(new InvalidOperationException(stderr), "activity failed");

        Assert.All(logs.Entries, entry => Assert.DoesNotContain(GitToken, entry));
        Assert.Contains(logs.Entries, entry => entry.Contains("could not read from https://x:***@git.example", StringComparison.Ordinal));
    }

    [Fact]
    public void Log_WhenTheSettingsCannotBeValidated_StillMasksSecretNamedSettings()
    {
        // An invalid setting (the host will refuse to start) must not turn the redactor off for the
        // lines that explain why.
        var (logs, provider) = Compose(("Rollback:Executors:Terraform:Workspaces:infra", "relative/path"));
        var logger = provider.GetRequiredService<ILogger<RedactedLoggingTests>>();

        logger.LogCritical("start failed with {Token}", GitToken);

        Assert.DoesNotContain(GitToken, Assert.Single(logs.Entries));
    }

    private static (RecordingLoggerProvider Logs, ServiceProvider Provider) Compose(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Rollback:Storage:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Rollback:Executors:Git:Repositories:config:Url"] = "https://git.example/config.git",
            ["Rollback:Executors:Git:Repositories:config:Token"] = GitToken,
            ["Rollback:Auth:Keys:pipeline:Secret"] = ApiKey,
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var logs = new RecordingLoggerProvider();
        var services = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs))
            .AddRollbackAdapters(configuration);
        return (logs, services.BuildServiceProvider());
    }
}
