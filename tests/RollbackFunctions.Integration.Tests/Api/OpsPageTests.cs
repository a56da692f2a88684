using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Integration.Tests.Api;

/// <summary>
/// The ops page in headless Chromium against a running rollback: the deploy list with its gate,
/// the step graph coloured by status, the evidence, the approval waiting with the calls to make,
/// and the page refreshing itself until the rollback ends; an operator acting from the page, a reader
/// only reading. The screenshot in docs/ is taken here.
/// </summary>
public sealed class OpsPageTests
{
    [SkippableFact]
    public async Task RunningRollback_ShowsGraphEvidenceAndApproval_ThenRefreshesToTheEnd()
    {
        await using var browser = await HeadlessChromium.StartAsync();
        await browser.WatchPolicyViolationsAsync();
        await using var receiver = await LocalReceiver.StartAsync();
        await using var runtime = await TestRuntime.StartAsync();
        var id = $"checkout-{Guid.NewGuid():N}"[..24];
        var deploy = Payloads.DiamondDeploy(id, receiver);
        deploy["steps"]![0]!["revert"] = new JsonObject { ["mode"] = "approval" }; // the schema waits for an operator
        await AlertIntakeApiTests.RegisterCompletedAsync(runtime, deploy);
        var alert = Payloads.AlertmanagerFiring("checkout", "prod");
        alert["alerts"]![1]!["generatorURL"] = "javascript:alert(document.domain)"; // whoever may send alerts chooses this text
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", alert)).Dispose();
        var rollbackId = Identifiers.RollbackIdFor(id);
        await OperatorApiTests.WaitForStepAsync(runtime, id, "schema", "awaitingApproval");
        var page = $"{runtime.Http.BaseAddress}api/ui";

        await browser.NavigateAsync(page);
        await browser.WaitForAsync($"document.querySelector('tr[data-deploy=\"{id}\"]')", TimeSpan.FromSeconds(20), "the deploy in the list");
        Assert.Equal("closed", (await browser.EvaluateAsync($"document.querySelector('tr[data-deploy=\"{id}\"] td:nth-child(6)').textContent"))!.GetValue<string>());
        Assert.True((await browser.EvaluateAsync($"!!document.querySelector('tr[data-rollback=\"{rollbackId}\"] a')"))!.GetValue<bool>());

        await browser.NavigateAsync($"{page}#rollback={rollbackId}");
        await browser.WaitForAsync("document.querySelectorAll('#graph g[data-step]').length === 4", TimeSpan.FromSeconds(20), "the step graph");
        var statuses = (await browser.EvaluateAsync("Object.fromEntries([...document.querySelectorAll('#graph g[data-step]')].map(g => [g.dataset.step, g.dataset.status + '@' + g.dataset.level]))"))!.AsObject();
        Assert.Equal("reverted@0", (string?)statuses["rollout"]);
        Assert.Equal("awaitingApproval@2", (string?)statuses["schema"]);
        Assert.Equal(4, (await browser.EvaluateAsync("document.querySelectorAll('#graph line[data-edge]').length"))!.GetValue<int>());
        // Keyless (loopback) every caller is an operator: the waiting step offers its buttons, and the rollback its abort.
        Assert.Equal(
            new[] { $"abort:{rollbackId}", $"approve:{rollbackId}:schema", $"reject:{rollbackId}:schema" },
            (await browser.EvaluateAsync("[...document.querySelectorAll('[data-action]')].map(b => b.dataset.action).sort()"))!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Contains("CheckoutErrorBudgetBurn", (await browser.EvaluateAsync("document.querySelector('#evidence').textContent"))!.GetValue<string>());
        Assert.Equal(new[] { "http" }, (await browser.EvaluateAsync("[...document.querySelectorAll('#evidence a')].map(a => new URL(a.href).protocol.replace(':', ''))"))!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Contains("awaitingApproval", (await browser.EvaluateAsync("document.querySelector('#timeline').textContent"))!.GetValue<string>());
        // docs/ops-page.png is this screenshot, written with ROLLBACK_WRITE_DOCS=1 (a run's timestamps would dirty the tree otherwise).
        var write = Environment.GetEnvironmentVariable(OpenApiDocumentTests.WriteSetting) == "1";
        var screenshot = write ? Path.Combine(Repo.Root, "docs", "ops-page.png") : Path.Combine(Path.GetTempPath(), $"ops-page-{Guid.NewGuid():N}.png");
        await browser.ScreenshotAsync(screenshot);
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is empty");
        if (!write)
        {
            File.Delete(screenshot);
        }

        // The operator approves and the alert resolves; the page, left alone, follows to the end.
        (await runtime.Http.PostAsync($"/api/rollbacks/{rollbackId}/steps/schema/approve", null)).Dispose();
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.Resolved(alert))).Dispose();
        await browser.WaitForAsync("document.querySelector('#summary .badge')?.textContent === 'succeeded'", TimeSpan.FromSeconds(60), "the rollback succeed");
        Assert.Equal("reverted", (await browser.EvaluateAsync("document.querySelector('#graph g[data-step=\"schema\"]').dataset.status"))!.GetValue<string>());
        Assert.True((await browser.EvaluateAsync("document.querySelectorAll('#verification [data-verdict]').length"))!.GetValue<int>() > 0);
        Assert.Null(await browser.EvaluateAsync("document.querySelector('#approvals')"));

        await browser.EvaluateAsync("document.getElementById('report-button').click()");
        await browser.WaitForAsync("document.getElementById('report-text').textContent.includes('# Rollback')", TimeSpan.FromSeconds(10), "the report");
        Assert.DoesNotContain(browser.Console, c => c.Contains("exceptionDetails", StringComparison.Ordinal) || c.Contains("Content Security Policy", StringComparison.Ordinal));
        Assert.Empty(await browser.PolicyViolationsAsync());
    }

    [SkippableFact]
    public async Task OperatorKey_RollsBackAndApprovesFromThePage_ReaderKeySeesThePlanButNoButtons_WithinThePolicy()
    {
        const string admin = "ad-0123456789abcdef0123456789abcdef", reader = "rd-0123456789abcdef0123456789abcdef", oncall = "oc-0123456789abcdef0123456789abcdef";
        await using var browser = await HeadlessChromium.StartAsync();
        await browser.WatchPolicyViolationsAsync();
        await using var receiver = await LocalReceiver.StartAsync();
        await using var runtime = await TestRuntime.StartAsync(
            $"Rollback:Auth:Keys:pipeline:Secret={admin}", "Rollback:Auth:Keys:pipeline:Roles=ci,reader",
            $"Rollback:Auth:Keys:dashboard:Secret={reader}", "Rollback:Auth:Keys:dashboard:Roles=reader",
            $"Rollback:Auth:Keys:oncall:Secret={oncall}", "Rollback:Auth:Keys:oncall:Roles=operator,reader");
        runtime.Http.DefaultRequestHeaders.Authorization = new("Bearer", admin);
        var id = $"pageops-{Guid.NewGuid():N}"[..24];
        var rollbackId = Identifiers.RollbackIdFor(id);
        var deploy = Payloads.DiamondDeploy(id, receiver, "pageops");
        var rollout = Payloads.Step("rollout", receiver, "schema");
        rollout["revert"] = new JsonObject { ["mode"] = "approval" };
        deploy["steps"] = new JsonArray(Payloads.Step("schema", receiver), rollout);
        await AlertIntakeApiTests.RegisterCompletedAsync(runtime, deploy);
        (await runtime.Http.PostAsync($"/api/deploys/{id}/rehearse", null)).Dispose();
        var page = $"{runtime.Http.BaseAddress}api/ui";

        // A reader: the deploy, its plan and rehearsal, and not one button.
        await browser.NavigateAsync($"{page}#deploy={id}");
        await browser.WaitForAsync("getComputedStyle(document.getElementById('key')).display !== 'none'", TimeSpan.FromSeconds(20), "the key form");
        await browser.EvaluateAsync($"document.getElementById('key-input').value = '{reader}'; document.getElementById('key').requestSubmit()");
        await browser.WaitForAsync("document.querySelector('#plan[data-readiness]')", TimeSpan.FromSeconds(20), "the plan");
        Assert.Equal("needsHuman", (await browser.EvaluateAsync("document.querySelector('#plan').dataset.readiness"))!.GetValue<string>());
        Assert.Equal("approval", (await browser.EvaluateAsync("document.querySelector('[data-plan-step=\"rollout\"]').dataset.revert"))!.GetValue<string>());
        Assert.Equal("notRehearsable", (await browser.EvaluateAsync("document.querySelector('[data-plan-step=\"schema\"] [data-rehearsal]').dataset.rehearsal"))!.GetValue<string>());
        Assert.Equal(0, (await browser.EvaluateAsync("document.querySelectorAll('[data-action]').length"))!.GetValue<int>());

        // The operator key, entered once: Roll back now, confirmed with what will happen and a reason.
        await browser.EvaluateAsync($"document.getElementById('operator-input').value = '{oncall}'; document.getElementById('operator').requestSubmit()");
        await ConfirmAsync(browser, $"rollback:{id}", "every step it applied is reverted", "errors after the release");
        await browser.WaitForAsync($"document.querySelector('[data-done=\"rollback:{id}\"]')?.textContent.includes('{rollbackId} started')", TimeSpan.FromSeconds(20), "the rollback started, said in place");

        // The rollback waits for the approval; a reader sees the step waiting and no button.
        await browser.NavigateAsync($"{page}#rollback={rollbackId}");
        await browser.WaitForAsync($"document.querySelector('[data-action=\"approve:{rollbackId}:rollout\"]')", TimeSpan.FromSeconds(30), "the Approve button");
        await browser.EvaluateAsync("sessionStorage.removeItem('rollbackOperatorKey'); location.reload()");
        await browser.WaitForAsync("document.querySelector('#approvals [data-waiting=\"rollout\"]')", TimeSpan.FromSeconds(20), "the waiting step, as a reader");
        Assert.Equal(0, (await browser.EvaluateAsync("document.querySelectorAll('[data-action]').length"))!.GetValue<int>());

        await browser.EvaluateAsync($"document.getElementById('operator-input').value = '{oncall}'; document.getElementById('operator').requestSubmit()");
        await ConfirmAsync(browser, $"approve:{rollbackId}:rollout", "its revert runs now", "checked the release notes");
        await browser.WaitForAsync($"document.querySelector('[data-done=\"approve:{rollbackId}:rollout\"]')?.textContent.includes('approved by oncall')", TimeSpan.FromSeconds(20), "the approval, said in place");
        await browser.WaitForAsync("document.querySelector('#summary .badge')?.textContent === 'succeeded'", TimeSpan.FromSeconds(60), "the rollback succeed");

        var rows = (await runtime.GetJsonAsync($"/api/rollbacks/{rollbackId}/audit"))["rows"]!.AsArray();
        Assert.Contains(rows, r => r!["action"]!.GetValue<string>() == "approval.decided" && r["actor"]!.GetValue<string>() == "oncall" && r["detail"]!.GetValue<string>().Contains("checked the release notes"));
        Assert.Equal(["rollout", "schema"], receiver.Paths);
        Assert.DoesNotContain(browser.Console, c => c.Contains("exceptionDetails", StringComparison.Ordinal) || c.Contains("Content Security Policy", StringComparison.Ordinal));
        Assert.Empty(await browser.PolicyViolationsAsync());
        // The listener is live: what the policy forbids is reported (so an empty list above means something).
        await browser.EvaluateAsync("document.body.append(Object.assign(document.createElement('img'), { src: 'https://example.invalid/x.png' }))");
        await browser.WaitForAsync("window.__policyViolations.length > 0", TimeSpan.FromSeconds(10), "the violation of an outside image reported");
    }

    /// <summary>Clicks an action, checks its confirmation says what will happen, gives the reason and confirms.</summary>
    private static async Task ConfirmAsync(HeadlessChromium browser, string action, string consequence, string reason)
    {
        await browser.WaitForAsync($"document.querySelector('[data-action=\"{action}\"]')", TimeSpan.FromSeconds(20), $"the {action} button");
        await browser.EvaluateAsync($"document.querySelector('[data-action=\"{action}\"]').click()");
        await browser.WaitForAsync($"document.querySelector('[data-confirming=\"{action}\"]')", TimeSpan.FromSeconds(10), $"the {action} confirmation");
        Assert.Contains(consequence, (await browser.EvaluateAsync($"document.querySelector('[data-confirming=\"{action}\"]').textContent"))!.GetValue<string>());
        await browser.EvaluateAsync($"document.querySelector('[data-reason=\"{action}\"]').value = '{reason}'; document.querySelector('[data-confirm=\"{action}\"]').click()");
    }

    [SkippableFact]
    public async Task WithKeys_PageIsServedWithoutOne_UnderAStrictPolicy_AndAsksForAReaderKey()
    {
        const string secret = "op-0123456789abcdef0123456789abcdef";
        await using var runtime = await TestRuntime.StartAsync($"Rollback:Auth:Keys:ops:Secret={secret}", "Rollback:Auth:Keys:ops:Roles:0=reader");

        using var reply = await runtime.Http.GetAsync("/api/ui");

        Assert.Equal(System.Net.HttpStatusCode.OK, reply.StatusCode);
        Assert.Equal("text/html", reply.Content.Headers.ContentType!.MediaType);
        var policy = string.Join(";", reply.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy);
        Assert.Contains("script-src 'sha256-", policy);
        Assert.DoesNotContain("unsafe", policy);
        Assert.Equal("nosniff", string.Join("", reply.Headers.GetValues("X-Content-Type-Options")));

        // In the browser: the API answers 401, the page asks for a key, and with it shows the lists.
        await using var browser = await HeadlessChromium.StartAsync();
        await browser.NavigateAsync($"{runtime.Http.BaseAddress}api/ui");
        await browser.WaitForAsync("getComputedStyle(document.getElementById('key')).display !== 'none'", TimeSpan.FromSeconds(20), "the key form");
        await browser.EvaluateAsync($"document.getElementById('key-input').value = '{secret}'; document.getElementById('key').requestSubmit()");
        await browser.WaitForAsync("document.querySelector('#deploys') && document.querySelector('#rollbacks')", TimeSpan.FromSeconds(20), "the lists once the key was given");
        Assert.DoesNotContain(browser.Console, c => c.Contains("Content Security Policy", StringComparison.Ordinal));
    }
}
