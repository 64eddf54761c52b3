using AbandonedCart.Api;
using AbandonedCart.Api.Endpoints;
using AbandonedCart.Api.Reports;
using AbandonedCart.Api.Operations;
using AbandonedCart.Api.Shopify;

var builder = WebApplication.CreateBuilder(args);
builder.AddApiServices();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseRateLimiter();
app.MapEvents();
app.MapShopify();
app.MapCustomers();
app.MapOutbox();
app.MapReports();
app.MapDashboard();
app.MapTracking().MapProviderWebhooks();
app.MapOperations();
app.Run();
