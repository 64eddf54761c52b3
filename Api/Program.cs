using AbandonedCart.Api;
using AbandonedCart.Api.Endpoints;
using AbandonedCart.Api.Operations;
using AbandonedCart.Api.Shopify;

var builder = WebApplication.CreateBuilder(args);
builder.AddApiServices();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapEvents();
app.MapShopify();
app.MapCustomers();
app.MapOutbox();
app.MapOperations();
app.Run();
