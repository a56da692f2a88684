using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Integration.Tests.Api;

/// <summary>
/// The ops page in headless Chromium with keys: an operator acts where a reader only reads (a class
/// of its own, so it runs beside <see cref="OpsPageTests"/> rather than after it). Every content
/// security policy violation the page causes fails the test (SAFETY.md 9, 10).
/// </summary>
public sealed class OpsPageActionTests
{
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
}
