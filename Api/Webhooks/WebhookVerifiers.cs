using AbandonedCart.Activities.Channels;

namespace AbandonedCart.Api.Webhooks;

/// <summary>
/// The webhook keys, read when the first webhook arrives: <c>Providers:SendGrid:WebhookVerificationKey</c>,
/// <c>Providers:Twilio:AuthToken</c>, and the public base URL Twilio signs (<c>Webhooks:PublicBaseUrl</c>, else
/// <c>Tracking:BaseUrl</c>). A provider without its key has no webhook endpoint (404).
/// </summary>
public sealed class WebhookVerifiers(IConfiguration configuration) : IDisposable
{
    public SendGridEventWebhookVerifier? SendGrid { get; } =
        configuration[$"{SendGridOptions.Section}:WebhookVerificationKey"] is { Length: > 0 } key ? new(key) : null;

    public TwilioSignatureVerifier? Twilio { get; } =
        configuration[$"{TwilioOptions.Section}:AuthToken"] is { Length: > 0 } token ? new(token) : null;

    public string PublicBaseUrl { get; } = (configuration["Webhooks:PublicBaseUrl"] ?? configuration["Tracking:BaseUrl"] ?? string.Empty).TrimEnd('/');

    public void Dispose() => SendGrid?.Dispose();
}
