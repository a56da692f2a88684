using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace RollbackFunctions.Testing;

/// <summary>
/// A tab of Debian's headless Chromium driven over the DevTools protocol: navigate, evaluate script
/// in the page, take a screenshot. A few protocol commands on one WebSocket are all the ops page tests
/// need, so no browser-automation driver is downloaded. One browser serves every test of the process,
/// each test in a tab of its own (its own page, console and script hooks; each test's runtime is its
/// own origin, so storage is not shared either): a browser's first start costs seconds of CPU.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    private static readonly object SharedGate = new();
    private static Task<Browser>? shared;

    private readonly Browser browser;
    private readonly string targetId;
    private readonly ClientWebSocket socket;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonObject>> pending = new();
    private readonly CancellationTokenSource closing = new();
    private int nextId;

    private HeadlessChromium(Browser browser, string targetId, ClientWebSocket socket)
    {
        this.browser = browser;
        this.targetId = targetId;
        this.socket = socket;
        _ = ReceiveAsync();
    }

    /// <summary>Opens a new tab of the shared browser, starting the browser first if none runs yet.</summary>
    public static async Task<HeadlessChromium> StartAsync(int width = 1400, int height = 1000)
    {
        var browser = await SharedBrowserAsync();
        var target = await browser.OpenTabAsync();
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(target["webSocketDebuggerUrl"]!.GetValue<string>()), CancellationToken.None);
        var tab = new HeadlessChromium(browser, target["id"]!.GetValue<string>(), socket);
        await tab.SendAsync("Page.enable");
        await tab.SendAsync("Runtime.enable");
        await tab.SendAsync("Log.enable"); // the browser's own messages: CSP violations, failed loads
        await tab.SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject { ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = false });
        return tab;
    }

    /// <summary>
    /// The running browser, or a new one: after a start that failed or a browser that died, the
    /// next test starts another instead of every test after it failing the same way.
    /// </summary>
    private static Task<Browser> SharedBrowserAsync()
    {
        lock (SharedGate)
        {
            if (shared is null || shared.IsFaulted || shared.IsCanceled || (shared.IsCompletedSuccessfully && shared.Result.HasExited))
            {
                shared = Browser.StartAsync();
            }

            return shared;
        }
    }

    /// <summary>Console messages, uncaught exceptions and the browser's log entries (CSP violations among them).</summary>
    public ConcurrentQueue<string> Console { get; } = new();

    /// <summary>
    /// From the next navigation on, every content security policy violation in the page is recorded
    /// (the <c>securitypolicyviolation</c> event), for <see cref="PolicyViolationsAsync"/>. Scripts the
    /// DevTools protocol injects are not subject to the page's policy, so the listener itself is not one.
    /// </summary>
    public Task WatchPolicyViolationsAsync() => SendAsync("Page.addScriptToEvaluateOnNewDocument", new JsonObject
    {
        ["source"] = "window.__policyViolations = []; document.addEventListener('securitypolicyviolation', e => window.__policyViolations.push(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`));",
    });

    /// <summary>The violations recorded in the current document since it loaded.</summary>
    public async Task<IReadOnlyList<string>> PolicyViolationsAsync() =>
        (await EvaluateAsync("window.__policyViolations || ['the violation listener was not installed']"))!.AsArray().Select(v => v!.GetValue<string>()).ToList();

    public Task NavigateAsync(string url) => SendAsync("Page.navigate", new JsonObject { ["url"] = url });

    /// <summary>Evaluates <paramref name="expression"/> in the page (awaiting a promise) and returns its JSON value.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var reply = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
        if (reply["exceptionDetails"] is JsonObject failure)
        {
            throw new InvalidOperationException($"script failed in the page: {failure.ToJsonString()}");
        }

        return reply["result"]?["value"]?.DeepClone();
    }

    /// <summary>Polls until <paramref name="condition"/> is true in the page.</summary>
    public Task WaitForAsync(string condition, TimeSpan timeout, string what) =>
        // A condition that throws (the page is still loading) counts as not yet.
        Eventually.HoldsAsync(async () => (await EvaluateAsync($"(() => {{ try {{ return !!({condition}); }} catch {{ return false; }} }})()"))?.GetValue<bool>() == true, timeout,
            () => $"the page never showed {what}; console: {string.Join(" | ", Console)}", TimeSpan.FromMilliseconds(200));

    public async Task ScreenshotAsync(string path)
    {
        // Tabs of tests running beside this one may be in front; one in the background may not paint.
        await SendAsync("Page.bringToFront");
        var reply = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true });
        await File.WriteAllBytesAsync(path, Convert.FromBase64String(reply["data"]!.GetValue<string>()));
    }

    public async Task<JsonObject> SendAsync(string method, JsonObject? parameters = null)
    {
        var id = Interlocked.Increment(ref nextId);
        var reply = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = reply;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        await socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        return await reply.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1 << 16];
        try
        {
            while (!closing.IsCancellationRequested)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult received;
                do
                {
                    received = await socket.ReceiveAsync(buffer, closing.Token);
                    message.Write(buffer, 0, received.Count);
                }
                while (!received.EndOfMessage);

                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                var json = JsonNode.Parse(message.ToArray())!.AsObject();
                if (json["id"] is { } id && pending.TryRemove(id.GetValue<int>(), out var waiter))
                {
                    if (json["error"] is { } error)
                    {
                        waiter.TrySetException(new InvalidOperationException($"DevTools: {error.ToJsonString()}"));
                    }
                    else
                    {
                        waiter.TrySetResult(json["result"]?.AsObject() ?? new JsonObject());
                    }
                }
                else if ((string?)json["method"] is "Runtime.consoleAPICalled" or "Runtime.exceptionThrown" or "Log.entryAdded")
                {
                    Console.Enqueue(json["params"]!.ToJsonString());
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // closing
        }
    }

    public async ValueTask DisposeAsync()
    {
        await closing.CancelAsync();
        socket.Dispose();
        await browser.CloseTabAsync(targetId);
    }

    /// <summary>The browser process, started once and stopped when the test process ends.</summary>
    private sealed class Browser
    {
        private readonly Process process;
        private readonly HttpClient http;

        private Browser(Process process, int port)
        {
            this.process = process;
            http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
        }

        public static async Task<Browser> StartAsync()
        {
            var binary = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
            RealParts.Require(binary is not null, "Chromium is not installed (sudo apt-get install chromium)");
            var profile = Repo.TempFolder("chromium");
            var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            // Tabs of tests running at once are all in the background but one: without the last three
            // flags Chromium would slow their timers, and with them the pages' own refreshing.
            var process = ChildProcess.StartBoundToThisProcess(binary!,
                ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
                 "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", $"--user-data-dir={profile}", "about:blank"],
                profile,
                "TERM",
                line =>
                {
                    if (line.Contains("DevTools listening on ", StringComparison.Ordinal))
                    {
                        listening.TrySetResult(line[(line.IndexOf("ws://", StringComparison.Ordinal))..].Trim());
                    }
                });
            // The shell exits with the browser: a browser that dies at start fails this start at once.
            process.EnableRaisingEvents = true;
            process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("Chromium exited before DevTools listened"));
            try
            {
                var browser = new Browser(process, new Uri(await listening.Task.WaitAsync(TimeSpan.FromSeconds(30))).Port);
                AppDomain.CurrentDomain.ProcessExit += (_, _) => browser.Stop();
                return browser;
            }
            catch
            {
                ChildProcess.EndBound(process); // not left running beside the next start
                throw;
            }
        }

        public bool HasExited => process.HasExited;

        /// <summary>A new tab on about:blank: its id and the WebSocket address to drive it.</summary>
        public async Task<JsonObject> OpenTabAsync()
        {
            // DevTools answers PUT only here, so a web page cannot open tabs with a plain GET.
            using var response = await http.PutAsync("json/new?about:blank", null);
            response.EnsureSuccessStatusCode();
            return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        }

        public async Task CloseTabAsync(string targetId)
        {
            try
            {
                using var response = await http.GetAsync($"json/close/{targetId}");
            }
            catch (HttpRequestException)
            {
                // The browser is gone: so is the tab.
            }
        }

        private void Stop()
        {
            http.Dispose();
            ChildProcess.EndBound(process);
        }
    }
}
